import { test, expect, Page } from '@playwright/test';
import { hydrated } from '../support/page';

type Fetched = { name: string; transfer: number; encoded: number; decoded: number };

/** What the browser fetched for the page so far, by Chromium's resource timing. */
async function fetched(page: Page): Promise<Fetched[]> {
  return page.evaluate(() =>
    [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map((e) => {
      const r = e as PerformanceResourceTiming;
      return { name: new URL(r.name).pathname, transfer: r.transferSize, encoded: r.encodedBodySize, decoded: r.decodedBodySize };
    }),
  );
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

test('a first visit gets every file compressed; a repeat visit takes them from the cache', async ({ browser }) => {
  // A fresh browser cache, logged in as the suite's admin.
  const context = await browser.newContext({ storageState: '.auth/admin.json' });
  const page = await context.newPage();
  await page.goto('/');
  await hydrated(page);
  const first = await fetched(page);
  const statics = first.filter((f) => /\.(wasm|js|css)$/.test(f.name));
  // The wasm, its JS, the chunk loader and the stylesheet, each sent compressed. No other
  // page's code (each is a wasm chunk of its own) and no ECharts until a page draws a chart.
  const unhashed = (name: string) => (name.startsWith('/pkg/') ? name.replace(/\.[\w-]+\.(wasm|js|css)$/, '.$1') : name);
  expect(statics.map((f) => unhashed(f.name)).sort()).toEqual([
    '/pkg/__wasm_split.js',
    '/pkg/mcp-pulse.css',
    '/pkg/mcp-pulse.js',
    '/pkg/mcp-pulse.wasm',
  ]);
  for (const f of statics) expect(f.encoded, f.name).toBeLessThan(f.decoded * 0.6);
  const page1 = first.find((f) => f.name === '/');
  expect(page1 && page1.encoded < page1.decoded, 'the page itself is compressed').toBe(true);
  const firstTotal = first.reduce((s, f) => s + f.transfer, 0);

  // A repeat visit (a new navigation, as a person clicking the logo or reopening the tab).
  await page.goto('about:blank');
  await page.goto('/');
  await hydrated(page);
  const again = await fetched(page);
  for (const f of again.filter((f) => /\.(wasm|js|css)$/.test(f.name))) {
    // transferSize 0: served from the cache without asking the server.
    expect(f.transfer, `${f.name} comes from the cache`).toBe(0);
  }
  const againTotal = again.reduce((s, f) => s + f.transfer, 0);

  // The first page with a chart fetches ECharts, compressed, once.
  await page.getByRole('link', { name: 'Performance' }).first().click();
  await expect(page.locator('#chart-requests canvas')).toBeVisible();
  const later = await fetched(page);
  const charts = later.filter((f) => f.name === '/echarts.min.js');
  expect(charts).toHaveLength(1);
  expect(charts[0].encoded).toBeLessThan(charts[0].decoded * 0.6);
  // The Performance page's own code arrived with it, compressed, and only then.
  const pageCode = later.filter((f) => /^\/pkg\/split___performance_view_\w+\.[\w-]+\.wasm$/.test(f.name));
  expect(pageCode, 'the Performance page chunk').toHaveLength(1);
  expect(pageCode[0].encoded).toBeLessThan(pageCode[0].decoded * 0.6);
  console.log(
    `transfer of /: first visit ${kb(firstTotal)}, repeat visit ${kb(againTotal)} (${statics.map((f) => `${f.name} ${kb(f.encoded)} of ${kb(f.decoded)}`).join(', ')}); ECharts on the first chart: ${kb(charts[0].encoded)}; the Performance page's chunk ${kb(pageCode[0].encoded)}`,
  );
  await context.close();
});

test('files answer with long caching only under hashed names, and a reload of the others is a 304', async ({ request, page }) => {
  await page.goto('/');
  const css = await page.locator('link[rel=stylesheet]').first().getAttribute('href');
  const echarts = await page.locator('meta[name=pulse-echarts]').getAttribute('content');
  expect(css).toMatch(/^\/pkg\/mcp-pulse\.[\w-]+\.css$/);
  expect(echarts).toMatch(/^\/echarts\.min\.js\?v=[0-9a-f]{16}$/);
  for (const path of [css!, echarts!]) {
    const res = await request.get(path, { headers: { 'Accept-Encoding': 'br' } });
    expect(res.headers()['cache-control'], path).toBe('public, max-age=31536000, immutable');
    expect(res.headers()['vary'], path).toContain('accept-encoding');
  }
  const icon = await request.get('/favicon.svg');
  expect(icon.headers()['cache-control']).toBe('no-cache');
  const since = icon.headers()['last-modified'];
  expect(since).toBeTruthy();
  const reload = await request.get('/favicon.svg', { headers: { 'If-Modified-Since': since } });
  expect(reload.status()).toBe(304);
  // Something that is neither a file nor a page is the app's 404, not a file error.
  const missing = await request.get('/pkg/../../Cargo.toml');
  expect(missing.status()).toBe(404);
  expect(await missing.text()).not.toContain('[package]');
});

test('a page whose code cannot be fetched is loaded in full instead of leaving the tab dead', async ({ page }) => {
  // As after an upgrade that replaced the files this tab was loaded with.
  await page.goto('/');
  await hydrated(page);
  let refused = 0;
  await page.route(/\/pkg\/split___/, (route) => {
    refused += 1;
    return route.abort();
  });
  await page.getByRole('link', { name: 'Roles' }).first().click();
  await expect(page).toHaveURL(/\/roles$/);
  // The server-rendered page arrives (without its code it stays static, and is not reloaded again).
  await expect(page.getByTestId('role-card-admin')).toBeVisible();
  expect(refused, 'the chunk was asked for').toBeGreaterThan(0);
  await page.unroute(/\/pkg\/split___/);
  // With the files back, the next visit is a working page again. A new tab: this one's reload
  // guard (per tab) may still be answering its own refused chunk.
  const next = await page.context().newPage();
  await next.goto('/roles');
  await hydrated(next);
  await expect(next.getByTestId('role-card-admin')).toBeVisible();
  await next.close();
});

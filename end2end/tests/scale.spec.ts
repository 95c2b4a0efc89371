import { test, expect } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hydrated, live, pulseEnv, watchErrors } from '../support/page';
import { logIn } from '../support/users';
import { expectAccessible } from '../support/axe';

// A Pulse of its own watching 1,000 components: 937 HTTP checks of its own liveness probe,
// 60 MCP servers (the suite's reference server) and 3 that fail (a closed port).
const PORT = 3104;
const BASE = `http://127.0.0.1:${PORT}`;
const ROOT = path.resolve(__dirname, '../..');
const DATA = path.join(ROOT, 'end2end/.data/scale');
const PASSWORD = 'scale-admin-password';
const DOWN = ['svc-0250', 'svc-0500', 'svc-0750'];

let server: ChildProcess | undefined;

test.beforeAll(async () => {
  // 1,000 first checks on two cores.
  test.setTimeout(120_000);
  fs.rmSync(DATA, { recursive: true, force: true });
  fs.mkdirSync(DATA, { recursive: true });
  const lines = [`addr = "127.0.0.1:${PORT}"`, `database_url = "sqlite://${DATA}/pulse.db"`, '[health]', 'max_concurrent_checks = 64'];
  for (let i = 0; i < 1000; i++) {
    const name = `svc-${String(i).padStart(4, '0')}`;
    lines.push('[[components]]', `name = "${name}"`, 'interval = "5m"', 'timeout = "5s"', 'failure_threshold = 1');
    if (DOWN.includes(name)) {
      lines.push('kind = "tcp"', 'host = "127.0.0.1"', 'port = 1');
    } else if (i % 16 === 3 && i < 963) {
      lines.push('kind = "mcp"', 'url = "http://127.0.0.1:3101/mcp"');
    } else {
      lines.push('kind = "http"', `url = "${BASE}/health/live"`);
    }
  }
  const config = path.join(DATA, 'pulse.toml');
  fs.writeFileSync(config, lines.join('\n') + '\n');
  server = spawn('./target/debug/mcp-pulse', ['serve', '--config', config], {
    cwd: ROOT,
    env: pulseEnv({ PULSE_LOG: 'warn', PULSE_ADMIN_PASSWORD: PASSWORD }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await live(BASE);
  // Every component checked once.
  await expect
    .poll(async () => {
      const body = await (await fetch(`${BASE}/health`)).json();
      return body.components.filter((c: { component: string; timestamp: string | null }) => c.component.startsWith('svc-') && c.timestamp !== null).length;
    }, { timeout: 90_000 })
    .toBe(1000);
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

test('1,000 components: the failing ones first above the fold, the rest compact, filters in the URL', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: BASE, storageState: { cookies: [], origins: [] }, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await logIn(page, 'admin', PASSWORD);
  await expect(page.getByTestId('user-name')).toHaveText('admin');

  const res = await page.goto(`${BASE}/`);
  const html = (await res!.body()).length;
  await hydrated(page);
  await expect(page.getByTestId('healthy-count')).toHaveText('998 of 1001 components healthy');
  // The three failing components are the only full cards, and the first is on screen at once.
  const cards = page.getByTestId('component-card');
  await expect(cards).toHaveCount(3);
  expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-component')))).toEqual(DOWN);
  await expect(cards.first()).toBeInViewport();
  // The healthy rest (and the derived MCP group): one tile each, collapsed.
  const tiles = page.getByTestId('component-tiles');
  await expect(tiles).toContainText('998 healthy');
  await expect(tiles.locator('ul[data-status=healthy] li')).toHaveCount(998);
  expect(await tiles.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
  await expectAccessible(page, 'the Overview at 1,000 components');
  await page.screenshot({ path: 'test-results/overview-1000.png', fullPage: false });

  // Filter by name: the address keeps it; a reload shows the same.
  await page.getByLabel('Name').fill('svc-07');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/[?&]q=svc-07/);
  await expect(page.getByTestId('filter-count')).toHaveText('100 of 1001 components match');
  await expect(cards).toHaveCount(1);
  await expect(cards.first()).toHaveAttribute('data-component', 'svc-0750');
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('filter-count')).toHaveText('100 of 1001 components match');

  // By status and kind, from the address alone.
  await page.goto(`${BASE}/?status=unhealthy&kind=tcp`);
  await hydrated(page);
  await expect(page.getByTestId('filter-count')).toHaveText('3 of 1001 components match');
  await expect(page.getByLabel('Status')).toHaveValue('unhealthy');
  await page.getByTestId('clear-filter').click();
  await expect(page).toHaveURL(`${BASE}/`);
  await expect(cards).toHaveCount(3);

  // 60 MCP servers, 25 a page.
  const pager = page.getByTestId('mcp-pager');
  await expect(pager).toContainText('Page 1 of 3 · 60 servers');
  await pager.getByRole('link', { name: 'Next →' }).click();
  await expect(pager).toContainText('Page 2 of 3');
  await expect(page.getByTestId('mcp-servers').locator('tbody tr')).toHaveCount(25);

  // Nonsense in the address is named, not obeyed and not an error.
  await page.goto(`${BASE}/?status=%3Cscript%3E&mcp_page=999`);
  await hydrated(page);
  await expect(page.getByTestId('filter-ignored')).toContainText('status, mcp_page');
  expect(errors).toEqual([]);
  console.log(`Overview at 1,000 components: ${(html / 1024).toFixed(0)} KB of HTML`);
  expect(html).toBeLessThan(300 * 1024);
  await context.close();
});

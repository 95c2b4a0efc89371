import { test, expect } from '@playwright/test';
import { chartAnimates, chartId as chartOf, expectTellableApart, hydrated, refreshOnce } from '../support/page';
import { expectAccessible } from '../support/axe';

const TOKEN = 'e2e-ingest-token-0123456789';


/** A batch with routes no other test uses, so counts are exact. */
function batch(tag: string) {
  const events = [];
  for (let i = 0; i < 7; i++) {
    events.push({ method: 'POST', route: 'tools/call', tool: `search-${tag}`, server: 'docs', status: 200, duration_ms: 40 + i, role: 'developer' });
  }
  for (let i = 0; i < 3; i++) {
    events.push({ method: 'GET', route: `/e2e/${tag}`, status: i === 0 ? 500 : 200, duration_ms: 900 + i * 10, role: 'viewer' });
  }
  return events;
}

test('an ingested batch shows on the Requests page with the right counts', async ({ page, request }) => {
  const tag = Math.random().toString(36).slice(2, 8);
  const denied = await request.post('/api/v1/requests', { data: batch(tag) });
  // The suite's admin session is no ingest token: posting needs one.
  expect(denied.status()).toBe(403);
  const res = await request.post('/api/v1/requests', {
    data: batch(tag),
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ accepted: 10 });

  await page.goto('/requests');
  await hydrated(page);
  const top = page.getByTestId('top-endpoints');
  const toolRow = top.locator(`tr[data-tool="search-${tag}"]`);
  await expect(toolRow.locator('[data-col=count]')).toHaveText('7');
  await expect(toolRow).toContainText('docs');
  const routeRow = top.locator(`tr[data-route="/e2e/${tag}"]`);
  await expect(routeRow.locator('[data-col=count]')).toHaveText('3');
  await expect(routeRow.locator('[data-col=errors]')).toHaveText('1 (33.3%)');
  // The slow route leads the slowest table.
  await expect(page.getByTestId('slowest-endpoints').locator('tbody tr').first()).toHaveAttribute('data-route', `/e2e/${tag}`);
  await expectAccessible(page, 'the Requests page with a batch');

  // Sorting by p95 and changing the window go through the URL and keep the data.
  await top.getByRole('link', { name: 'p95' }).click();
  await expect(page).toHaveURL(/sort=p95/);
  await expect(top.locator('tbody tr').first()).toHaveAttribute('data-route', `/e2e/${tag}`);
  await page.getByTestId('window-picker').getByRole('link', { name: '24h' }).click();
  await expect(page).toHaveURL(/window=24h/);
  await expect(page.getByTestId('top-endpoints').locator(`tr[data-route="/e2e/${tag}"] [data-col=count]`)).toHaveText('3');

  // The overview's traffic cards count them too.
  await page.goto('/');
  await hydrated(page);
  const rpm = page.getByTestId('stat-rpm');
  await expect(rpm).toContainText('in the last hour');
  const total = Number((await rpm.locator('.stat-sub').textContent())?.split(' ')[0]);
  expect(total).toBeGreaterThanOrEqual(10);
  await expect(page.getByTestId('stat-errors')).toContainText('%');
  await expect(page.getByTestId('stat-cpu')).toContainText('%');
});

test('performance charts render and update in place on refresh', async ({ page, request }) => {
  const res = await request.post('/api/v1/requests', {
    data: batch('perf'),
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  expect(res.status()).toBe(200);
  await page.goto('/performance');
  await hydrated(page);
  for (const id of ['chart-requests', 'chart-errors', 'chart-latency', 'chart-host']) {
    await expect(page.locator(`#${id} canvas`)).toBeVisible();
  }
  await expectAccessible(page, 'the Performance page');
  await expectTellableApart(page, 'chart-latency', 'Latency (p50 / p95)');
  await expectTellableApart(page, 'chart-host', 'CPU and memory');
  const chartId = () => chartOf(page, 'chart-latency');
  const before = await chartId();
  expect(before).not.toBeNull();
  await refreshOnce(page);
  expect(await chartId()).toBe(before);
  await expect(page.locator('#chart-latency canvas')).toHaveCount(1);
  await page.getByTestId('window-picker').getByRole('link', { name: '7d' }).click();
  await expect(page).toHaveURL(/window=7d/);
  expect(await chartId()).toBe(before);
});

test('charts animate unless the system asks for reduced motion', async ({ page }) => {
  await page.goto('/performance');
  await hydrated(page);
  await expect(page.locator('#chart-requests canvas')).toBeVisible();
  expect(await chartAnimates(page, 'chart-requests')).toBe(true);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#chart-requests canvas')).toBeVisible();
  for (const id of ['chart-requests', 'chart-errors', 'chart-latency', 'chart-host']) {
    expect(await chartAnimates(page, id), `${id} animates`).toBe(false);
  }
});

test('spans sent as OTLP show on the Requests page, with where events came from', async ({ page, request }) => {
  const tag = Math.random().toString(36).slice(2, 8);
  const now = BigInt(Date.now()) * 1_000_000n;
  const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');
  const spans = [0, 1, 2, 3].map((i) => ({
    traceId: hex(i + 1, 32),
    spanId: hex(i + 1, 16),
    name: `tools/call otlp-${tag}`,
    kind: 2,
    startTimeUnixNano: String(now - 2_000_000_000n),
    endTimeUnixNano: String(now - 2_000_000_000n + 25_000_000n),
    status: i === 0 ? { code: 2 } : {},
    attributes: [
      { key: 'mcp.method.name', value: { stringValue: 'tools/call' } },
      { key: 'gen_ai.tool.name', value: { stringValue: `otlp-${tag}` } },
      { key: 'enduser.role', value: { stringValue: 'developer' } },
    ],
  }));
  const body = {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'e2e-gateway' } }] },
      scopeSpans: [{ spans }],
    }],
  };
  const res = await request.post('/v1/traces', {
    data: body,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
  });
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({});

  await page.goto('/requests');
  await hydrated(page);
  const row = page.getByTestId('top-endpoints').locator(`tr[data-tool="otlp-${tag}"]`);
  await expect(row.locator('[data-col=count]')).toHaveText('4');
  await expect(row.locator('[data-col=errors]')).toHaveText('1 (25.0%)');
  await expect(row).toContainText('e2e-gateway');
  const otlp = page.getByTestId('sources').locator('[data-source=otlp]');
  await expect(otlp).toContainText('OpenTelemetry (OTLP)');
  expect(Number(await otlp.locator('[data-col=events]').textContent())).toBeGreaterThanOrEqual(4);
  await expect(page.getByTestId('sources').locator('[data-source=ingest]')).toContainText('JSON ingest');
  // The exporter settings name this Pulse's gRPC listener.
  const connect = page.getByTestId('connect-gateway');
  await connect.locator('summary').click();
  await expect(page.getByTestId('connect-contextforge')).toContainText('OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:3105');
});

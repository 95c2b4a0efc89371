import { test, expect, Page } from '@playwright/test';
import { chartId as chartOf, hydrated, refreshOnce, watchErrors } from '../support/page';
import { expectAccessible } from '../support/axe';


/** Waits until every configured component has been checked at least once. */
async function allChecked(page: Page) {
  await expect
    .poll(async () => {
      const res = await page.request.get('/health');
      const body = await res.json();
      return body.components.every((c: { timestamp: string | null }) => c.timestamp !== null);
    })
    .toBe(true);
}

test.describe('overview', () => {
  test.beforeEach(async ({ page }) => {
    await allChecked(page);
  });

  test('renders a card per component with real statuses and errors', async ({ page }) => {
    const errors = watchErrors(page);
    await page.goto('/');
    await hydrated(page);

    const cards = page.getByTestId('component-card');
    await expect(cards).toHaveCount(8);
    await expectAccessible(page, 'the Overview with an unhealthy critical component');

    const db = page.locator('[data-testid=component-card][data-component=database]');
    await expect(db).toHaveAttribute('data-status', 'healthy');
    await expect(db.getByTestId('status')).toHaveText(/Healthy/);
    await expect(db.getByTestId('response-time')).toHaveText(/\d+(\.\d+)? m?s/);
    await expect(db).toContainText('Database');

    const web = page.locator('[data-testid=component-card][data-component=pulse-http]');
    await expect(web).toHaveAttribute('data-status', 'healthy');

    const pg = page.locator('[data-testid=component-card][data-component=gateway-db]');
    await expect(pg).toHaveAttribute('data-status', 'healthy');
    await expect(pg.getByTestId('reading')).toHaveText(/^\d+\/\d+ conns$/);
    const cache = page.locator('[data-testid=component-card][data-component=gateway-cache]');
    await expect(cache).toHaveAttribute('data-status', 'healthy');
    await expect(cache).toContainText('Cache');

    const down = page.locator('[data-testid=component-card][data-component=unreachable-api]');
    await expect(down).toHaveAttribute('data-status', 'unhealthy');
    await expect(down.getByTestId('status')).toHaveText(/Unhealthy/);
    await expect(down.getByTestId('error-message')).toContainText('connection failed');

    // A critical component is down, so the whole system is unhealthy, in words not just colour.
    await expect(page.getByTestId('overall')).toHaveAttribute('data-status', 'unhealthy');
    await expect(page.getByTestId('overall-status')).toHaveText('Unhealthy');
    // The count is the cards': at least the four asserted healthy above, never the unreachable one.
    const healthy = await page.locator('[data-testid=component-card][data-status=healthy]').count();
    expect(healthy).toBeGreaterThanOrEqual(4);
    expect(healthy).toBeLessThanOrEqual(7);
    await expect(page.getByTestId('healthy-count')).toHaveText(`${healthy} of 8 components healthy`);

    expect(errors, errors.join('\n')).toEqual([]);
  });

  test('auto-refresh updates the page, and stops when switched off', async ({ page }) => {
    await page.goto('/');
    await hydrated(page);
    const toggle = page.getByTestId('auto-refresh');
    const updated = page.getByTestId('last-updated');
    await expect(toggle).toBeChecked();

    await page.getByTestId('refresh-interval').selectOption('5');
    const first = await updated.textContent();
    await expect(updated).not.toHaveText(first ?? '', { timeout: 12_000 });

    await toggle.click();
    await expect(toggle).not.toBeChecked();
    await expect(page.getByTestId('refresh-interval')).toBeDisabled();
    // A fetch already in flight when the switch flipped may still land; let it.
    await page.waitForTimeout(1_500);
    const frozen = await updated.textContent();
    await page.waitForTimeout(11_000);
    await expect(updated).toHaveText(frozen ?? '');

    await toggle.click();
    await expect(toggle).toBeChecked();
    await expect(updated).not.toHaveText(frozen ?? '', { timeout: 12_000 });
  });

  test('the auto-refresh choice survives a reload', async ({ page }) => {
    await page.goto('/');
    await hydrated(page);
    await page.getByTestId('refresh-interval').selectOption('60');
    await page.getByTestId('auto-refresh').click();
    await expect(page.getByTestId('auto-refresh')).not.toBeChecked();

    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('auto-refresh')).not.toBeChecked();
    await expect(page.getByTestId('refresh-interval')).toHaveValue('60');
    await page.evaluate(() => window.localStorage.clear());
  });

  test('the Refresh button fetches new data', async ({ page }) => {
    await page.goto('/');
    await hydrated(page);
    const updated = page.getByTestId('last-updated');
    const before = await updated.textContent();
    // The stamp has one-second resolution: click until a fetch lands in a later second.
    await expect
      .poll(async () => {
        await page.getByTestId('refresh').click();
        return updated.textContent();
      })
      .not.toBe(before);
  });
});

test('clicking a card opens its detail page with a chart and history', async ({ page }) => {
  await allChecked(page);
  const errors = watchErrors(page);
  await page.goto('/');
  await hydrated(page);
  // data-disk runs hourly in pulse.e2e.toml, so only "Check now" adds to its history here.
  await page
    .locator('[data-testid=component-card][data-component=data-disk]')
    .getByTestId('component-link')
    .click();
  await expect(page).toHaveURL(/\/components\/data-disk$/);
  await expect(page.getByTestId('component-name')).toHaveText('data-disk');
  await expect(page.locator('#response-chart canvas')).toBeVisible();
  const rows = page.getByTestId('history').locator('tbody tr');
  await expect(rows).toHaveCount(1);

  await page.getByTestId('check-now').click();
  await expect(rows).toHaveCount(2);
  await expect(page.getByTestId('check-now')).toHaveText('Check now');
  expect(errors, errors.join('\n')).toEqual([]);
});

test('a detail page loaded directly hydrates without errors', async ({ page }) => {
  await allChecked(page);
  const errors = watchErrors(page);
  await page.goto('/components/unreachable-api');
  await hydrated(page);
  await expect(page.getByTestId('detail-summary')).toContainText('Unhealthy');
  await expect(page.getByTestId('error-message')).toContainText('connection failed');
  await expect(page.locator('#response-chart canvas')).toBeVisible();
  expect(errors, errors.join('\n')).toEqual([]);
  await expectAccessible(page, 'an unhealthy component\'s page');
});

test('an MCP server card shows its name and tools; its page the latency breakdown', async ({ page }) => {
  await allChecked(page);
  await page.goto('/');
  await hydrated(page);
  const card = page.locator('[data-testid=component-card][data-component=everything]');
  await expect(card).toHaveAttribute('data-status', 'healthy');
  await expect(card.getByTestId('reading')).toHaveText(/^mcp-servers\/everything · \d+ tools$/);
  const servers = page.getByTestId('mcp-servers');
  await expect(servers.locator('tr[data-server=everything]')).toContainText('mcp-servers/everything');
  await expect(page.getByTestId('mcp-group')).toContainText('1 of 1 servers healthy');
  await expect(servers.locator('tr[data-server=everything] [data-col=p95]')).toHaveText(/\d+(\.\d+)? m?s/);
  // The derived group is a component of its own, with a card and a detail page.
  const group = page.locator('[data-testid=component-card][data-component=mcp_servers]');
  await expect(group).toHaveAttribute('data-status', 'healthy');
  await expect(group.getByTestId('reading')).toHaveText('1/1 servers healthy');
  await group.getByTestId('component-link').click();
  await expect(page.getByTestId('detail-summary')).toContainText('"healthy_servers": 1');
  await page.goBack();
  await card.getByTestId('component-link').click();
  const summary = page.getByTestId('detail-summary');
  for (const key of ['"verdict": "ok"', 'handshake_ms', 'ping_ms', 'tools_ms', '"protocol_version"']) {
    await expect(summary).toContainText(key);
  }
});

test('refreshing updates the chart in place instead of re-creating it', async ({ page }) => {
  await allChecked(page);
  await page.goto('/components/database');
  await hydrated(page);
  await expect(page.locator('#response-chart canvas')).toBeVisible();
  const chartId = () => chartOf(page, 'response-chart');
  const before = await chartId();
  expect(before).not.toBeNull();
  await refreshOnce(page);
  expect(await chartId()).toBe(before);
  await expect(page.locator('#response-chart canvas')).toHaveCount(1);
});

test('unknown pages and components get a 404 page', async ({ page }) => {
  const res = await page.goto('/components/no-such-thing');
  expect(res?.status()).toBe(404);
  await expect(page.getByTestId('not-found')).toContainText('No component is named');

  const other = await page.goto('/definitely/not/here');
  expect(other?.status()).toBe(404);
  await expect(page.getByTestId('not-found')).toBeVisible();
  await expectAccessible(page, 'the 404 page');
  await page.getByRole('link', { name: 'Back to the overview' }).click();
  await expect(page.getByTestId('overall')).toBeVisible();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  test('the server renders real data', async ({ page }) => {
    await allChecked(page);
    await page.goto('/');
    await expect(page.getByTestId('component-card')).toHaveCount(8);
    await expect(page.locator('[data-component=database]')).toHaveAttribute('data-status', 'healthy');
    await expect(page.getByTestId('last-updated')).toHaveText(/\d\d:\d\d:\d\d UTC/);
  });
});

test('probes and metrics reflect the failing critical component', async ({ request }) => {
  await expect.poll(async () => (await request.get('/health/ready')).status()).toBe(503);
  const ready = await (await request.get('/health/ready')).json();
  expect(ready.reason).toContain('unreachable-api (critical)');
  expect((await request.get('/health/live')).status()).toBe(200);

  const metrics = await (await request.get('/metrics')).text();
  expect(metrics).toContain('pulse_component_up{component="unreachable-api"} 0');
  expect(metrics).toContain('pulse_component_up{component="database"} 1');
  expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/health\/live",status="200"\} \d+/);
});

test('the layout holds at 375 px wide', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto('/');
  await hydrated(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expectAccessible(page, 'the Overview at 375 px');
});

test('the Overview is operable by keyboard, with a visible focus ring', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const toggle = page.getByTestId('auto-refresh');
  await expect(toggle).toBeChecked();
  // Tab from the top of the page until the switch has focus; every stop shows a ring.
  const reached: string[] = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      return {
        what: el.getAttribute('data-testid') ?? el.textContent?.trim().slice(0, 30) ?? el.tagName,
        ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
      };
    });
    if (!stop) continue;
    expect(stop.ring, `no focus ring on ${stop.what}`).toBe(true);
    reached.push(stop.what);
    if (stop.what === 'auto-refresh') break;
  }
  expect(reached).toContain('auto-refresh');
  // Space toggles the switch off and on again.
  await page.keyboard.press('Space');
  await expect(toggle).not.toBeChecked();
  await expect(page.getByTestId('refresh-interval')).toBeDisabled();
  await page.keyboard.press('Space');
  await expect(toggle).toBeChecked();
  // Two more stops: the interval select, then Refresh, which Enter presses.
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('refresh-interval')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('refresh')).toBeFocused();
  const stamp = await page.getByTestId('last-updated').textContent();
  await page.waitForTimeout(1_100);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('last-updated')).not.toHaveText(stamp ?? '');
});

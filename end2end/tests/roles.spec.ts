import { test, expect } from '@playwright/test';
import { chartId as chartOf, expectTellableApart, hydrated, refreshOnce } from '../support/page';
import { expectAccessible } from '../support/axe';

const TOKEN = 'e2e-ingest-token-0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };


const ev = (actor: string, role: string, action: string, outcome = 'success', extra = {}) => ({
  actor_id: actor, actor_role: role, action, outcome, ...extra,
});

/** A known batch: every count below follows from it (the suite's only audit events). */
function auditBatch() {
  return [
    ev('adm-a', 'admin', 'user.role.assign'),
    ev('adm-a', 'admin', 'system.backup'),
    ev('adm-b', 'admin', 'system.backup'),
    ev('dev-1', 'developer', 'server.deploy'),
    ev('dev-1', 'developer', 'server.deploy'),
    ev('dev-1', 'developer', 'server.deploy', 'failure'),
    ev('g-1', 'guest', 'limited.access'),
    ev('g-1', 'guest', 'restricted.attempt', 'denied'),
    ev('g-2', 'guest', 'limited.access'),
    ev('g-3', 'guest', 'limited.access'),
    ev('root', 'admin', 'role.migration.start'),
    ev('g-3', 'guest', 'role.change.manual', 'success', { details: { from: 'guest', to: 'developer' } }),
  ];
}

/** A metric cell's exact count (the trend arrow after it may vary): `1` but not `10` or `21`. */
const count = (n: number) => new RegExp(`^${n}(?!\\d)`);

function requests() {
  const out = [];
  // Admin requests at 300 ms: over the 100 ms target.
  for (let i = 0; i < 5; i++) out.push({ method: 'POST', route: 'tools/call', status: 200, duration_ms: 300, role: 'admin', user_id: 'adm-a' });
  // A guest burst: 25 requests this minute against a 20 rpm limit.
  for (let i = 0; i < 25; i++) out.push({ method: 'POST', route: 'tools/call', status: 200, duration_ms: 40, role: 'guest', user_id: 'g-1' });
  return out;
}

test('before any audit event the Roles page says how to send them', async ({ page }) => {
  await page.goto('/roles');
  const empty = page.getByTestId('empty-state');
  await expect(empty).toContainText('No audit events from your gateway yet');
  await expect(empty).toContainText('POST /api/v1/audit');
  await expect(page.getByTestId('role-card-admin')).toBeVisible();
  await expectAccessible(page, 'the empty Roles page');
});

test('a posted audit batch shows in the role cards, tables and charts', async ({ page, request }) => {
  // The suite's admin session is no ingest token: posting needs one.
  expect((await request.post('/api/v1/audit', { data: auditBatch() })).status()).toBe(403);
  const res = await request.post('/api/v1/audit', { data: auditBatch(), headers: auth });
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ accepted: 12 });
  expect((await request.post('/api/v1/requests', { data: requests(), headers: auth })).status()).toBe(200);

  await page.goto('/roles?timeframe=1h');
  await hydrated(page);
  await expect(page.getByTestId('empty-state')).toHaveCount(0);
  const admin = page.getByTestId('role-card-admin');
  await expect(admin.locator('[data-metric=activeUsers]')).toHaveText('3');
  await expect(admin.locator('[data-metric=apiCalls]')).toHaveText(count(5));
  await expect(admin.locator('[data-metric=criticalActions]')).toHaveText(count(1));
  await expect(admin.locator('[data-metric=systemModifications]')).toHaveText(count(2));
  await expect(admin.getByTestId('role-p95')).toContainText('target 100 ms');
  await expect(admin.getByTestId('role-p95')).toHaveClass(/bad/);
  const dev = page.getByTestId('role-card-developer');
  await expect(dev.locator('[data-metric=deployments]')).toHaveText(count(3));
  await expect(dev.locator('[data-metric=developmentActions]')).toHaveText(count(3));
  const guest = page.getByTestId('role-card-guest');
  await expect(guest.locator('[data-metric=activeUsers]')).toHaveText('3');
  await expect(guest.locator('[data-metric=conversionRate]')).toContainText('33.3%');
  await expect(guest.locator('[data-metric=restrictedAttempts]')).toHaveText(count(1));
  // g-1's 25 requests this minute against 20 rpm: 125 %, weighted down as the minute ages, and
  // over the 80 % mark while g-1 is listed below.
  const busiest = await guest.getByTestId('role-rate').textContent();
  const pct = Number(/^busiest (\d+)% of 20 rpm$/.exec((busiest ?? '').trim())?.[1]);
  expect(pct, busiest ?? '').toBeGreaterThan(80);
  expect(pct, busiest ?? '').toBeLessThanOrEqual(125);
  // Trend arrows compare with the hour before, which was empty.
  await expect(admin.locator('.trend-up').first()).toBeVisible();

  await expect(page.getByTestId('users-over-table')).toContainText('g-1');
  await expect(page.getByTestId('role-changes-table')).toContainText('developer');
  // Role, category, actions, users, denied, failed: three limited.access and one denied
  // restricted.attempt by three guests.
  const guestRow = page
    .getByTestId('role-actions-table')
    .locator('tbody tr')
    .filter({ has: page.locator('td:nth-child(1)', { hasText: /^guest$/ }) })
    .filter({ has: page.locator('td:nth-child(2)', { hasText: /^guest_actions$/ }) });
  await expect(guestRow.locator('td')).toHaveText(['guest', 'guest_actions', '4', '3', '1', '0']);
  // Seven users in the batch; g-3's manual change after the start is the one migration.
  await expect(page.getByTestId('migration-status').locator('.stat-value')).toHaveText('1 / 7');
  await expectAccessible(page, 'the Roles page with a batch');

  for (const id of ['chart-role-actions', 'chart-role-latency', 'chart-role-rates', 'chart-role-distribution', 'chart-role-migration']) {
    await expect(page.locator(`#${id} canvas`)).toBeVisible();
  }
  // Someone who cannot tell the colours apart can still tell the series apart.
  await expectTellableApart(page, 'chart-role-actions', 'Actions by role and category');
  await expectTellableApart(page, 'chart-role-latency', 'p95 latency by role, against target');
  await expectTellableApart(page, 'chart-role-distribution', 'Users by role: before the migration and now');
  await expectTellableApart(page, 'chart-role-migration', 'Role changes per minute and cumulative');
  // Refreshing updates the same chart instances.
  const chartId = () => chartOf(page, 'chart-role-actions');
  const before = await chartId();
  expect(before).not.toBeNull();
  await refreshOnce(page);
  expect(await chartId()).toBe(before);

  await page.getByTestId('timeframe-picker').getByRole('link', { name: '7d' }).click();
  await expect(page).toHaveURL(/timeframe=7d/);
  await expect(page.getByTestId('role-card-developer').locator('[data-metric=deployments]')).toHaveText(count(3));
  expect(await chartId()).toBe(before);
  // The Overview sums the roles up for the last 24 h and links here.
  await page.goto('/');
  await hydrated(page);
  const summary = page.getByTestId('role-summary');
  await expect(summary.locator('tr[data-role=admin] [data-col=users]')).toHaveText('3');
  await expect(summary.locator('tr[data-role=guest]')).toContainText('of 20 rpm');
  await summary.getByRole('link', { name: 'Roles' }).click();
  await expect(page).toHaveURL(/\/roles\?timeframe=24h/);
  await expect(page.getByTestId('role-card-admin')).toBeVisible();
});

test('the Roles page holds at 375 px wide', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto('/roles');
  await hydrated(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expectAccessible(page, 'the Roles page at 375 px');
});

test('the Roles timeframe picker is reached by Tab and followed with Enter', async ({ page }) => {
  await page.goto('/roles?timeframe=1h');
  await hydrated(page);
  const picker = page.getByTestId('timeframe-picker');
  await expect(picker.getByRole('link', { name: '1h' })).toHaveAttribute('aria-current', 'page');
  let ring = false;
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el.closest('[data-testid=timeframe-picker]') === null || el.textContent?.trim() !== '7d') return null;
      const style = getComputedStyle(el);
      return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    });
    if (focused !== null) {
      ring = focused;
      break;
    }
  }
  await expect(picker.getByRole('link', { name: '7d' })).toBeFocused();
  expect(ring, 'the focused timeframe shows a focus ring').toBe(true);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/roles\?timeframe=7d/);
  await expect(picker.getByRole('link', { name: '7d' })).toHaveAttribute('aria-current', 'page');
});

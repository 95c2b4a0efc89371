import { test, expect } from '@playwright/test';
import { expectTellableApart, hydrated, watchErrors } from '../support/page';
import { expectAccessible } from '../support/axe';

// Runs after roles.spec.ts (alphabetical, one worker): its auth events must not move the
// counts that suite asserts.
const TOKEN = 'e2e-ingest-token-0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };

const ev = (action: string, outcome: string, extra: Record<string, unknown>) => ({
  actor_id: 'sec-1', actor_role: 'analyst', action, outcome, ...extra,
});

/** Six auth events, two failed; every figure below follows from them. */
function authBatch() {
  return [
    ev('auth.oauth_flow', 'success', { duration_ms: 900, provider: 'azure_ad', details: { flow_type: 'authorization_code' } }),
    ev('auth.oauth_flow', 'failure', { duration_ms: 2600, provider: 'github', details: { flow_type: 'pkce' } }),
    ev('auth.token_refresh', 'success', { duration_ms: 120, provider: 'azure_ad' }),
    ev('auth.session_validation', 'success', { duration_ms: 8, provider: 'azure_ad', session_id: 'sec-s1' }),
    ev('auth.mfa_challenge', 'failure', { duration_ms: 5000, provider: 'azure_ad', details: { method: 'totp' } }),
    ev('auth.login', 'success', { provider: 'github' }),
  ];
}

test('before any auth event the Authentication page says how to send them', async ({ page }) => {
  await page.goto('/authentication');
  const empty = page.getByTestId('empty-state');
  await expect(empty).toContainText('No authentication events yet');
  await expect(empty).toContainText('auth.oauth_flow');
  await expect(page.getByTestId('auth-total')).toHaveText('0');
  await expectAccessible(page, 'the empty Authentication page');
});

test('a posted auth batch shows in the figures, thresholds, tables and charts', async ({ page, request }) => {
  const errors = watchErrors(page);
  const bad = await request.post('/api/v1/audit', {
    data: [...authBatch(), ev('auth.login', 'success', { duration_ms: -1 })], headers: auth,
  });
  expect(bad.status()).toBe(422);
  const res = await request.post('/api/v1/audit', { data: authBatch(), headers: auth });
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ accepted: 6 });

  await page.goto('/authentication?timeframe=1h');
  await hydrated(page);
  await expect(page.getByTestId('empty-state')).toHaveCount(0);
  await expect(page.getByTestId('auth-total')).toHaveText('6');
  await expect(page.getByTestId('auth-success-rate')).toHaveText('66.7%');
  await expect(page.getByTestId('auth-success-rate')).toHaveClass(/bad/);
  await expect(page.getByTestId('auth-active-sessions')).toHaveText('1');
  await expect(page.getByTestId('auth-session-health')).toHaveText('100.0%');

  const breaches = page.getByTestId('auth-breaches');
  await expect(breaches.locator('[data-breach=failure_rate]')).toContainText('33.3 % of auth events failed');
  await expect(breaches.locator('[data-breach=oauth_flow_p95]')).toContainText('OAuth flow p95 is 2600 ms');
  await expect(breaches.locator('[data-breach=token_refresh_p95]')).toHaveCount(0);

  const oauth = page.getByTestId('auth-event-types').locator('tr[data-action="auth.oauth_flow"]');
  await expect(oauth.locator('[data-col=count]')).toHaveText('2');
  await expect(oauth.locator('[data-col=failed]')).toHaveText('1');
  await expect(oauth.locator('[data-col=p95]')).toContainText('2.60 s');
  await expect(page.getByTestId('auth-mfa').locator('tr[data-method=totp]')).toContainText('1');
  await expect(page.getByTestId('auth-providers').locator('tr[data-provider=github] [data-col=failed]')).toHaveText('1');
  await expect(page.getByTestId('auth-providers').locator('tr[data-provider=azure_ad] [data-col=failed]')).toHaveText('1');
  await expect(page.getByTestId('auth-components')).toContainText('group = "auth"');

  for (const id of ['chart-auth-volume', 'chart-auth-latency']) {
    await expect(page.locator(`#${id} canvas`)).toBeVisible();
  }
  await expectTellableApart(page, 'chart-auth-volume', 'Auth events: succeeded and failed');
  await expectTellableApart(page, 'chart-auth-latency', 'OAuth flow and token refresh p95, against their limits');
  await expectAccessible(page, 'the Authentication page with breaches');
  await page.getByTestId('timeframe-picker').getByRole('link', { name: '24h' }).click();
  await expect(page).toHaveURL(/timeframe=24h/);
  await expect(page.getByTestId('auth-total')).toHaveText('6');
  // The navigation links here.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Auth' }).click();
  await expect(page).toHaveURL(/\/authentication$/);
  expect(errors).toEqual([]);
});

test('the Authentication page holds at 375 px wide', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto('/authentication');
  await hydrated(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expectAccessible(page, 'the Authentication page at 375 px');
});

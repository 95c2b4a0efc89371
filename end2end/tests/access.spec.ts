import { test, expect, Browser } from '@playwright/test';
import { hydrated } from '../support/page';
import { ensureUser, logIn, PASSWORD } from '../support/users';
import { expectAccessible } from '../support/axe';

/** A fresh browser context with nobody logged in. */
async function anonymous(browser: Browser) {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  return { context, page: await context.newPage() };
}

test('an anonymous visitor sees statuses only, and is sent to log in for the rest', async ({ browser }) => {
  const { context, page } = await anonymous(browser);
  await page.goto('/');
  await hydrated(page);
  await expect(page.getByTestId('component-card').first()).toBeVisible();
  // Statuses, but no error texts, no traffic, no roles, no links to details.
  await expect(page.getByTestId('error-message')).toHaveCount(0);
  await expect(page.getByTestId('stat-rpm')).toHaveCount(0);
  await expect(page.getByTestId('component-link')).toHaveCount(0);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link')).toHaveText(['Overview']);
  await expect(page.getByTestId('login-link')).toBeVisible();
  await expectAccessible(page, 'the Overview as an anonymous visitor');
  // A page it may not see sends it to the login page, and back after login.
  await page.goto('/roles?timeframe=7d');
  await expect(page).toHaveURL(/\/login\?next=%2Froles%3Ftimeframe%3D7d/);
  await expect(page.getByLabel('Username')).toBeVisible();
  await expectAccessible(page, 'the login page');
  await context.close();
});

test('a viewer sees details and traffic but not roles, and no Check now', async ({ browser, page }) => {
  await ensureUser(page.request, 'vera', 'viewer');
  const anon = await anonymous(browser);
  const p = anon.page;
  await p.goto('/requests');
  await expect(p).toHaveURL(/\/login\?next=%2Frequests/);
  await p.getByLabel('Username').fill('vera');
  await p.getByLabel('Password').fill(PASSWORD);
  await p.getByRole('button', { name: 'Log in' }).click();
  // Back where it wanted to go.
  await expect(p).toHaveURL(/\/requests$/);
  await expect(p.getByTestId('user-role')).toHaveText('viewer');
  const nav = p.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link')).toHaveText(['Overview', 'Requests', 'Performance', 'Alerts']);
  await p.goto('/components/unreachable-api');
  await hydrated(p);
  await expect(p.getByTestId('detail-summary')).toBeVisible();
  await expect(p.getByTestId('check-now')).toHaveCount(0);
  // The server refuses what is not linked, with a page saying so.
  const res = await p.goto('/roles');
  expect(res?.status()).toBe(403);
  await expect(p.getByTestId('forbidden')).toContainText('viewer');
  expect((await p.goto('/authentication'))?.status()).toBe(403);
  await anon.context.close();
});

test('an analyst sees Roles and Auth; only an admin sees Admin', async ({ browser, page }) => {
  await ensureUser(page.request, 'anna', 'analyst');
  const anon = await anonymous(browser);
  await logIn(anon.page, 'anna', PASSWORD);
  const nav = anon.page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link')).toHaveText(['Overview', 'Requests', 'Performance', 'Roles', 'Auth', 'Alerts']);
  expect((await anon.page.goto('/authentication'))?.status()).toBe(200);
  expect((await anon.page.goto('/admin'))?.status()).toBe(403);
  await anon.context.close();

  // The admin (this test's own session) has every link.
  await page.goto('/');
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link')).toHaveText([
    'Overview', 'Requests', 'Performance', 'Roles', 'Auth', 'Alerts', 'Admin',
  ]);
});

test('an admin creates a token, sees it once, and revoking it locks it out', async ({ page, request }) => {
  await page.goto('/admin');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill('e2e-ci');
  await page.getByRole('button', { name: 'Create token' }).click();
  const shown = page.getByTestId('new-token').locator('code');
  await expect(shown).toHaveText(/^pulse_/);
  const token = (await shown.textContent()) ?? '';
  const row = page.getByTestId('tokens').getByRole('row', { name: /e2e-ci/ });
  await expect(row).toContainText('active');
  await expect(row).not.toContainText(token);
  await expectAccessible(page, 'the admin page with a new token shown');
  const read = () => request.get('/api/v1/analytics/summary', { headers: { Authorization: `Bearer ${token}` } });
  expect((await read()).status()).toBe(200);
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(row).toContainText('revoked');
  expect((await read()).status()).toBe(401);
});

test('logout ends the session; five wrong passwords bring a backoff', async ({ browser, page }) => {
  await ensureUser(page.request, 'leo', 'viewer');
  await ensureUser(page.request, 'max', 'viewer');
  const { context, page: p } = await anonymous(browser);
  await logIn(p, 'leo', PASSWORD);
  await expect(p.getByTestId('user-name')).toHaveText('leo');
  await p.getByTestId('logout').click();
  await expect(p.getByText('You have logged out.')).toBeVisible();
  await p.goto('/requests');
  await expect(p).toHaveURL(/\/login/);

  // Five attempts a minute per user name: the sixth, even with the right password, waits.
  for (let i = 0; i < 5; i++) {
    await logIn(p, 'max', 'not-the-password');
    await expect(p.getByTestId('login-error')).toHaveText('Wrong username or password.');
  }
  await logIn(p, 'max', PASSWORD);
  await expect(p.getByTestId('login-error')).toHaveText(/Too many attempts. Try again in \d+ s./);
  await context.close();
});

test('pages, APIs and static files carry the security headers; a cross-site post is refused', async ({ request, page }) => {
  await page.goto('/');
  const css = await page.locator('link[rel=stylesheet]').first().getAttribute('href');
  for (const path of ['/', '/health', '/favicon.svg', css ?? '/missing.css']) {
    const res = await request.get(path);
    const h = res.headers();
    expect(h['content-security-policy'], path).toContain("frame-ancestors 'none'");
    expect(h['x-content-type-options'], path).toBe('nosniff');
    expect(h['referrer-policy'], path).toBe('same-origin');
  }
  const res = await request.post('/health/components/database/check', {
    headers: { Origin: 'https://evil.example' },
  });
  expect(res.status()).toBe(403);
});

import { expect, Page, APIRequestContext } from '@playwright/test';

export const ADMIN = { name: 'admin', password: 'e2e-admin-password' };
export const PASSWORD = 'e2e-user-password';

/** Logs in through the login page as a person would. */
export async function logIn(page: Page, name: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Creates `name` in `role` (as the admin, through the admin's server function); an existing
 * user is left as it is. */
export async function ensureUser(admin: APIRequestContext, name: string, role: string) {
  const res = await admin.post('/api/create_user', { form: { name, role, password: PASSWORD } });
  if (!res.ok()) {
    expect(await res.text()).toContain('already exists');
  }
}

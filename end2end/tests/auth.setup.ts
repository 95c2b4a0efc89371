import { test as setup, expect } from '@playwright/test';
import { ADMIN, logIn } from '../support/users';

// The first-run admin (PULSE_ADMIN_PASSWORD) logs in once; the other tests reuse the session.
setup('log in as the first-run admin', async ({ page }) => {
  await logIn(page, ADMIN.name, ADMIN.password);
  await expect(page.getByTestId('user-name')).toHaveText('admin');
  await page.context().storageState({ path: '.auth/admin.json' });
});

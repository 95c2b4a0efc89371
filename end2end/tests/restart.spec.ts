import { test, expect } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hydrated, live, pulseEnv } from '../support/page';
import { expectAccessible } from '../support/axe';

// A second Pulse of its own (own port, own database, Pulse's own audit on), so the suite's
// server is never restarted under the other tests.
const PORT = 3102;
const BASE = `http://127.0.0.1:${PORT}`;
const ROOT = path.resolve(__dirname, '../..');
const DATA = path.join(ROOT, 'end2end/.data/restart');
const PASSWORD = 'restart-admin-password';
const METRICS_TOKEN = 'restart-metrics-token-0123456789';

function start(): ChildProcess {
  fs.mkdirSync(DATA, { recursive: true });
  const config = path.join(DATA, 'pulse.toml');
  fs.writeFileSync(
    config,
    [
      `addr = "127.0.0.1:${PORT}"`,
      `database_url = "sqlite://${DATA}/pulse.db"`,
      '[metrics]',
      `bearer_token = "${METRICS_TOKEN}"`,
      '[[components]]',
      'name = "database"',
      'kind = "database"',
      '',
    ].join('\n'),
  );
  return spawn('./target/debug/mcp-pulse', ['serve', '--config', config], {
    cwd: ROOT,
    env: pulseEnv({ PULSE_LOG: 'warn', PULSE_ADMIN_PASSWORD: PASSWORD }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function up() {
  await live(BASE);
}

async function stop(p: ChildProcess) {
  const exited = new Promise((resolve) => p.once('exit', resolve));
  p.kill('SIGTERM');
  await exited;
}

let server: ChildProcess | undefined;

test.beforeAll(() => fs.rmSync(DATA, { recursive: true, force: true }));
test.afterAll(async () => {
  if (server && server.exitCode === null) await stop(server);
});

test('a session survives a restart; the admin reads the audit log and the configuration', async ({ browser }) => {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  server = start();
  await up();

  // A failed login, then the right one.
  await page.goto(`${BASE}/login`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('login-error')).toBeVisible();
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('admin');

  // Restarted: still logged in, on a page only an admin may see.
  await stop(server);
  server = start();
  await up();
  await page.goto(`${BASE}/admin/audit?only=access`);
  await hydrated(page);
  await expect(page.getByTestId('user-name')).toHaveText('admin');
  const log = page.getByTestId('own-audit');
  await expect(log.getByRole('row', { name: /auth\.login.*success/ })).toHaveCount(1);
  await expect(log.getByRole('row', { name: /admin.*auth\.login.*failure/ })).toHaveCount(1);
  await expectAccessible(page, 'the admin audit log');

  // The Configuration tab: the settings, the metrics token masked.
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Configuration' }).click();
  const config = page.getByTestId('config-view');
  await expect(config).toContainText(`addr = "127.0.0.1:${PORT}"`);
  await expect(config).toContainText('metrics_token = "***"');
  await expect(page.locator('body')).not.toContainText(METRICS_TOKEN);
  await expectAccessible(page, 'the configuration view');
  await page.screenshot({ path: 'test-results/admin-config.png', fullPage: true });
  await context.close();
});

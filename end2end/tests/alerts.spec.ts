import { test, expect } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { hydrated, live, pulseEnv, watchErrors } from '../support/page';
import { logIn } from '../support/users';
import { expectAccessible } from '../support/axe';

// A Pulse of its own whose one component is down from the start, a rule that fires on it at
// the first evaluation, and a webhook receiver in this process.
const PORT = 3103;
const BASE = `http://127.0.0.1:${PORT}`;
const ROOT = path.resolve(__dirname, '../..');
const DATA = path.join(ROOT, 'end2end/.data/alerts');
const PASSWORD = 'alerts-admin-password';

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const received: Array<Record<string, unknown>> = [];
let hook: http.Server | undefined;
let server: ChildProcess | undefined;

function startHook(): Promise<number> {
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        received.push(JSON.parse(body));
      } catch {
        received.push({ unreadable: body });
      }
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    hook!.listen(0, '127.0.0.1', () => resolve((hook!.address() as net.AddressInfo).port)),
  );
}

test.beforeAll(async () => {
  fs.rmSync(DATA, { recursive: true, force: true });
  fs.mkdirSync(DATA, { recursive: true });
  const hookPort = await startHook();
  const dead = await closedPort();
  const config = path.join(DATA, 'pulse.toml');
  fs.writeFileSync(
    config,
    [
      `addr = "127.0.0.1:${PORT}"`,
      `database_url = "sqlite://${DATA}/pulse.db"`,
      '[[components]]',
      'name = "docs-api"',
      'kind = "http"',
      `url = "http://127.0.0.1:${dead}/health"`,
      'failure_threshold = 1',
      '[alerts]',
      'evaluation_interval = "1s"',
      '[[alerts.channels]]',
      'name = "ops-webhook"',
      'kind = "webhook"',
      `url = "http://127.0.0.1:${hookPort}/hook"`,
      '[[alerts.rules]]',
      'name = "docs-api down"',
      'description = "The docs API does not answer"',
      'metric = "component_unhealthy"',
      'component = "docs-api"',
      'op = "=="',
      'threshold = 1',
      'for = "0s"',
      'severity = "high"',
      '',
    ].join('\n'),
  );
  server = spawn('./target/debug/mcp-pulse', ['serve', '--config', config], {
    cwd: ROOT,
    env: pulseEnv({ PULSE_LOG: 'warn', PULSE_ADMIN_PASSWORD: PASSWORD }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await live(BASE);
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  hook?.close();
});

test('a firing alert shows on the Overview and the Alerts page, and a test notification is delivered', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: BASE, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await logIn(page, 'admin', PASSWORD);
  await expect(page.getByTestId('user-name')).toHaveText('admin');

  // The rule fires at the first evaluation after the first check; the webhook hears of it.
  await expect.poll(() => received.filter((r) => r.status === 'firing').length, { timeout: 20_000 }).toBe(1);
  const fired = received.find((r) => r.status === 'firing')!;
  expect(fired.name).toBe('docs-api down');
  expect(fired.severity).toBe('high');

  // The Overview's banner: count and worst severity, linking to the Alerts page.
  await page.goto(`${BASE}/`);
  await hydrated(page);
  const banner = page.getByTestId('alert-banner');
  await expect(banner).toContainText('1 alert firing · worst: high');
  await expectAccessible(page, 'the Overview with a firing alert');
  await page.screenshot({ path: 'test-results/overview-alert-banner.png', fullPage: true });
  await banner.getByRole('link').click();
  await expect(page).toHaveURL(`${BASE}/alerts`);
  await hydrated(page);

  const row = page.getByTestId('active-alert').filter({ hasText: 'docs-api down' });
  await expect(row).toContainText('firing');
  await expect(row).toContainText('high');
  await expect(row).toContainText('1 (== 1)');
  await expect(row).toContainText('component=docs-api');
  await expect(page.getByTestId('alert-history')).toContainText('docs-api down');
  const channel = page.getByTestId('alert-channel').filter({ hasText: 'ops-webhook' });
  await expect(channel).toContainText('delivered');
  await expectAccessible(page, 'the Alerts page with a firing alert');

  // "Send test": a marked test notification, and its result on the page.
  await channel.getByRole('button', { name: 'Send test notification to ops-webhook' }).click();
  await expect(page.getByTestId('test-result')).toContainText('Test notification delivered to ops-webhook');
  await expect.poll(() => received.filter((r) => r.test === true).length).toBe(1);
  await expect(channel).toContainText('test');

  // A silence: made with the form, shown on the firing alert, then expired.
  const form = page.getByTestId('silence-form');
  await form.getByLabel(/Matchers/).fill('alertname=docs-api down\ncomponent=~docs-.*');
  await form.getByLabel('Hours').fill('1');
  await form.getByLabel('Why').fill('deploying docs');
  await form.getByRole('button', { name: 'Silence' }).click();
  const silence = page.getByTestId('silence').filter({ hasText: 'alertname=docs-api down, component=~docs-.*' });
  await expect(silence).toContainText('active');
  await expect(silence).toContainText('deploying docs');
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('active-alert').filter({ hasText: 'docs-api down' })).toContainText(
      'suppressed by silence',
      { timeout: 1_000 },
    );
  }).toPass({ timeout: 15_000 });
  await hydrated(page);
  await page.screenshot({ path: 'test-results/alerts.png', fullPage: true });
  await page
    .getByTestId('silence')
    .filter({ hasText: 'alertname=docs-api down' })
    .getByRole('button', { name: /Expire the silence/ })
    .click();
  await expect(page.getByTestId('silence').filter({ hasText: 'alertname=docs-api down' })).toContainText('ended');

  // The component's own page lists its alert, linking back.
  await page.goto(`${BASE}/components/docs-api`);
  await hydrated(page);
  const own = page.getByTestId('component-alerts');
  await expect(own).toContainText('docs-api down');
  await expect(own).toContainText('firing');
  await expect(own.getByRole('link', { name: 'docs-api down' })).toHaveAttribute('href', /\/alerts#alert-/);
  expect(errors).toEqual([]);
  await context.close();
});

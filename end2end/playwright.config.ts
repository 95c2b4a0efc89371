import { defineConfig } from '@playwright/test';

// Port apart from `make run` (3000) so both can run side by side.
const PORT = 3100;

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  // `setup` logs in as the first-run admin once; the other tests start from that session
  // unless they ask for another (tests/access.spec.ts).
  projects: [
    { name: 'setup', testMatch: /auth\.setup\.ts/ },
    {
      name: 'chromium',
      dependencies: ['setup'],
      testIgnore: /auth\.setup\.ts/,
      use: { storageState: '.auth/admin.json' },
    },
  ],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      // Debian's chromium; Playwright never downloads a browser here.
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run'],
    },
  },
  webServer: [
    {
      // The reference MCP server, Streamable HTTP at /mcp, confined to loopback.
      command:
        'PORT=3101 exec node -r ./support/loopback.cjs node_modules/@modelcontextprotocol/server-everything/dist/index.js streamableHttp',
      port: 3101,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // A fresh database every run: the server is started by the suite, never reused.
      command: 'rm -rf end2end/.data && exec ./target/debug/mcp-pulse serve --config end2end/pulse.e2e.toml',
      cwd: '..',
      url: `http://127.0.0.1:${PORT}/health/live`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        PULSE_DATABASE_URL: 'sqlite://end2end/.data/e2e.db',
        PULSE_LOG: 'warn',
        // The debug site (make build-debug), never the release one in target/site.
        LEPTOS_SITE_ROOT: 'target/site-debug',
        // The first run creates `admin` with this password (support/users.ts).
        PULSE_ADMIN_PASSWORD: 'e2e-admin-password',
      },
    },
  ],
});

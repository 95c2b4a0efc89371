import { expect, Page, ConsoleMessage } from '@playwright/test';

/** Waits until the WASM bundle has hydrated the page. */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** The id of the ECharts instance drawn in element `id`, or null when there is none. */
export function chartId(page: Page, id: string): Promise<string | null> {
  return page.evaluate((elementId) => {
    const w = window as unknown as { echarts: { getInstanceByDom(el: Element | null): { id: string } | undefined } };
    return w.echarts.getInstanceByDom(document.getElementById(elementId))?.id ?? null;
  }, id);
}

/** Clicks Refresh and waits until "Last updated" shows a new time. */
export async function refreshOnce(page: Page) {
  const updated = page.getByTestId('last-updated');
  const stamp = await updated.textContent();
  await page.waitForTimeout(1_100);
  await page.getByTestId('refresh').click();
  await expect(updated).not.toHaveText(stamp ?? '');
}

/** Waits until a Pulse started by a test answers its liveness probe. */
export async function live(base: string) {
  await expect
    .poll(async () => {
      try {
        return (await fetch(`${base}/health/live`)).status;
      } catch {
        return 0;
      }
    }, { timeout: 30_000 })
    .toBe(200);
}

/** The environment for a Pulse a test starts itself: the debug site, never the release one. */
export function pulseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, LEPTOS_SITE_ROOT: 'target/site-debug', ...extra };
}

/** Collects console errors and uncaught exceptions for the life of a page. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  return errors;
}

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

/** How each series of the chart in element `id` can be told apart without its colour. */
export interface SeriesLook {
  name: string;
  type: string;
  /** Bars and areas: ECharts' decal patterns are on for the chart. */
  patterned: boolean;
  /** Lines: dash style and marker. */
  dash: string | null;
  symbol: string | null;
}

/** The series of the chart drawn in element `id` and how each one looks apart from colour. */
export function seriesLooks(page: Page, id: string): Promise<SeriesLook[]> {
  return page.evaluate((elementId) => {
    type Option = {
      // ECharts keeps `aria` as one plain object (it is not a component, so not an array).
      aria?: { enabled?: boolean; decal?: { show?: boolean } };
      series?: { name?: string; type?: string; lineStyle?: { type?: string }; symbol?: string }[];
    };
    const w = window as unknown as { echarts: { getInstanceByDom(el: Element | null): { getOption(): Option } | undefined } };
    const option = w.echarts.getInstanceByDom(document.getElementById(elementId))?.getOption();
    const aria = option?.aria;
    const patterned = !!(aria?.enabled && aria?.decal?.show);
    return (option?.series ?? []).map((s) => ({
      name: s.name ?? '',
      type: s.type ?? '',
      patterned,
      dash: s.type === 'line' ? s.lineStyle?.type ?? 'solid' : null,
      symbol: s.type === 'line' ? s.symbol ?? null : null,
    }));
  }, id);
}

/**
 * Asserts that the series of the chart in element `id` differ by more than colour: bars carry
 * decal patterns, and no two lines share both their dash and their marker. The chart keeps its
 * own accessible name (ECharts would write a generated one over it).
 */
export async function expectTellableApart(page: Page, id: string, label: string) {
  const looks = await seriesLooks(page, id);
  expect(looks.length, `${id} has series`).toBeGreaterThan(0);
  for (const s of looks.filter((s) => s.type === 'bar')) {
    expect(s.patterned, `${id}: bar series "${s.name}" has a pattern`).toBe(true);
  }
  const lines = looks.filter((s) => s.type === 'line').map((s) => `${s.dash}/${s.symbol}`);
  expect(new Set(lines).size, `${id}: line styles ${lines.join(', ')}`).toBe(lines.length);
  await expect(page.locator(`#${id}`)).toHaveAttribute('aria-label', label);
}

/** Whether the chart drawn in element `id` animates (ECharts' `animation`, on unless turned off). */
export function chartAnimates(page: Page, id: string): Promise<boolean | null> {
  return page.evaluate((elementId) => {
    type Option = { animation?: boolean | string };
    const w = window as unknown as { echarts: { getInstanceByDom(el: Element | null): { getOption(): Option } | undefined } };
    const option = w.echarts.getInstanceByDom(document.getElementById(elementId))?.getOption();
    if (!option) return null;
    return option.animation !== false && option.animation !== 'false';
  }, id);
}

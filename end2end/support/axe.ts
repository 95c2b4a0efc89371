import { expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

/** WCAG 2.1 A and AA, the level the dashboard keeps. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Scans the page as it is now with axe-core and fails with every violation's rule id, impact
 * and the elements it names. `what` says which page and state was scanned.
 */
export async function expectAccessible(page: Page, what: string) {
  // Charts draw on canvas after hydration; wait for the page to settle so a scan sees it whole.
  await page.waitForLoadState('networkidle');
  const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const found = result.violations.map((v) => {
    const nodes = v.nodes
      .slice(0, 8)
      .map((n) => `    ${n.target.join(' ')}${n.failureSummary ? ` — ${n.failureSummary.split('\n').slice(1, 2).join('').trim()}` : ''}`)
      .join('\n');
    const more = v.nodes.length > 8 ? `\n    … and ${v.nodes.length - 8} more` : '';
    return `${v.id} (${v.impact}, ${v.nodes.length} element(s)): ${v.help}\n${nodes}${more}`;
  });
  expect(found, `axe-core on ${what}:\n${found.join('\n')}`).toEqual([]);
}

import type { Browser, Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { launchChromium } from '../../scripts/lib/chromium';
import { servePreview } from '../../scripts/lib/preview';
import { REPO_ROOT } from '../sharedData';

export const ARTIFACTS = `${REPO_ROOT}/test-artifacts`;

/** The built lab served locally and a headless Chromium to open it in; `close` stops both. */
export async function openLabBrowser(): Promise<{ browser: Browser; url: string; close: () => Promise<void> }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const server = await servePreview();
  const browser = await launchChromium();
  return {
    browser,
    url: server.url,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

/** Collects the page's console errors and uncaught exceptions, for assertions and failure messages. */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** The panel (a `section.panel`) whose heading is `heading`. */
export function panel(page: Page, heading: string) {
  return page.locator('section.panel').filter({ has: page.getByRole('heading', { name: heading, exact: true }) });
}

/** The first and last values of a chart's series, read from the chart's text summary ("training loss 3.1 → 2.7 at …"). */
export function seriesEnds(summary: string, label: string): { first: number; last: number; points: number } {
  const match = new RegExp(`${label} ([\\d.e+-]+)(?: → ([\\d.e+-]+))? at \\w+ [\\d.]+ \\((\\d+) points?\\)`).exec(summary);
  if (!match) throw new Error(`no series "${label}" in the chart summary "${summary}"`);
  return { first: Number(match[1]), last: Number(match[2] ?? match[1]), points: Number(match[3]) };
}

/** How many CSS pixels the page is wider than its window (0: nothing needs horizontal scrolling at this width). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** Chooses the bundled tiny model in the Model panel and waits until it is loaded (its architecture shows). */
export async function loadBundledModel(page: Page): Promise<void> {
  await page.getByTestId('load-bundled').click();
  await page.getByTestId('model-arch').waitFor({ timeout: 120_000 });
}

/** Adds the bundled sample shard in the Data panel and waits until its report shows. */
export async function loadSampleShard(page: Page): Promise<void> {
  await page.getByTestId('load-sample-shard').click();
  await page.getByTestId('shard-table').waitFor({ timeout: 60_000 });
}

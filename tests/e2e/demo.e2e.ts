import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openLabBrowser, panel, watchPageErrors } from './lab';
import type { DemoReport } from '../../src/ui/demo/demoRun';

let lab: Awaited<ReturnType<typeof openLabBrowser>>;

beforeAll(async () => {
  lab = await openLabBrowser();
});

afterAll(async () => {
  await lab?.close();
});

/**
 * "Try the demo" through the page's own panels, with the short budget the page takes from its address (the full
 * demo is `npm run demo`, which drives this same button and prints its result).
 */
describe('Try the demo', () => {
  it('loads the bundled model and the word problems, trains, evaluates base and adapter, and opens Compare on both', async () => {
    const page = await lab.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchPageErrors(page);
    await page.goto(`${lab.url}/?demo-steps=3&demo-problems=8`);
    await page.getByTestId('demo-start').click();
    // Each step shows in its own panel: the model's details, then the Train panel's progress.
    await page.getByTestId('model-arch').waitFor({ timeout: 120_000 });
    await page.getByTestId('demo-result').waitFor({ timeout: 900_000 });
    // The Train panel charted the demo's run: its status names the run and its last step.
    expect(await panel(page, 'Train').getByTestId('train-status').textContent()).toMatch(/^word problems \(demo\): step 3 \/ 3: loss /);

    expect(await page.getByTestId('demo-steps').locator('li.done').count()).toBe(6);
    const report = JSON.parse((await page.getByTestId('demo-report').textContent())!) as DemoReport;
    expect(report.training.adapter).toMatchObject({ status: 'done', steps: 3 });
    expect(report.base.run.problemIds).toHaveLength(8);
    expect(report.adapter.run.problemIds).toEqual(report.base.run.problemIds);
    expect(await page.getByTestId('demo-result').textContent()).toMatch(
      /^On 8 held-out problems the base model scores [\d.]+% and the adapter [\d.]+%/,
    );

    const compare = page.getByTestId('compare-panel');
    await compare.getByTestId('compare-table').waitFor({ timeout: 60_000 });
    const header = await compare.getByTestId('compare-table').locator('thead').textContent();
    expect(header).toContain('demo · base model');
    expect(header).toContain(`demo · ${report.training.adapter.name}`);
    await compare.screenshot({ path: `${ARTIFACTS}/demo-compare.png` });
    await page.screenshot({ path: `${ARTIFACTS}/demo-page.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 1_200_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openLabBrowser, watchPageErrors } from './lab';

let lab: Awaited<ReturnType<typeof openLabBrowser>>;

beforeAll(async () => {
  lab = await openLabBrowser();
});

afterAll(async () => {
  await lab?.close();
});

describe('the Evaluate panel', () => {
  it('evaluates the bundled tiny model on sample problems and opens each graded answer', async () => {
    const page = await lab.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    await page.getByTestId('load-bundled').click();
    await page.getByTestId('model-arch').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('eval-benchmark').textContent()).toBe('sample problems');
    await page.getByTestId('eval-count').fill('2');
    await page.getByTestId('eval-sample-seed').fill('3');
    await page.getByTestId('eval-max-tokens').fill('4');
    await page.getByTestId('evaluate').click();
    const accuracy = page.getByTestId('eval-accuracy');
    await accuracy.waitFor({ timeout: 240_000 });
    // A random-weight model answers nothing right; what matters is that both problems were generated and graded.
    expect(await accuracy.textContent()).toMatch(/^Accuracy: [\d.]+% \(\d\/2\)$/);
    const records = page.getByTestId('eval-record');
    // Per-problem records stream in separately from the run's result.
    await expect.poll(() => records.count(), { timeout: 30_000 }).toBe(2);
    await records.first().locator('summary').first().click();
    expect(await records.first().textContent()).toMatch(/Grader: .*\(rule: /);
    await page.screenshot({ path: `${ARTIFACTS}/evaluate-panel.png`, fullPage: true });

    // A second run on the same problems with a longer answer budget, then both side by side.
    await page.getByTestId('eval-max-tokens').fill('6');
    await page.getByTestId('evaluate').click();
    await expect.poll(() => page.getByTestId('compare-run').count(), { timeout: 240_000 }).toBe(2);
    for (const box of await page.getByTestId('compare-run').all()) await box.check();
    await page.getByTestId('compare').click();
    const table = page.getByTestId('compare-table');
    await table.waitFor({ timeout: 60_000 });
    expect(await table.locator('thead th').count()).toBe(3);
    expect(await page.getByTestId('compare-pair').textContent()).toMatch(/McNemar p = 1\.00\s+\(0 only first, 0 only second\)/);
    await page.screenshot({ path: `${ARTIFACTS}/compare-panel.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});

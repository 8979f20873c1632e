import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openLabBrowser, watchPageErrors, loadBundledModel } from './lab';
import { sharedData } from '../sharedData';

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
    await loadBundledModel(page);
    expect(await page.getByTestId('eval-benchmark').textContent()).toBe('sample problems');
    await page.getByTestId('eval-count').fill('2');
    await page.getByTestId('eval-sample-seed').fill('3');
    await page.getByTestId('eval-max-tokens').fill('4');
    await page.getByTestId('evaluate').click();
    const accuracy = page.getByTestId('eval-accuracy');
    await accuracy.waitFor({ timeout: 240_000 });
    // Four tokens cut most answers short; what matters is that both problems were generated and graded.
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
    expect(await page.getByTestId('compare-pair').innerText()).toMatch(/McNemar p = [\d.]+\s+\(\d+ only first, \d+ only second\)/);
    await page.screenshot({ path: `${ARTIFACTS}/compare-panel.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws only the ticked level and subject from the sample problems', async () => {
    const page = await lab.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    await loadBundledModel(page);
    await page.getByTestId('eval-level-3').check();
    await page.getByTestId('eval-subject').and(page.locator('[value="Algebra"]')).check();
    expect(await page.getByTestId('eval-benchmark').textContent()).toBe('sample problems · level 3 · Algebra');
    await page.getByTestId('eval-count').fill('3');
    await page.getByTestId('eval-sample-seed').fill('1');
    await page.getByTestId('eval-max-tokens').fill('2');
    await page.getByTestId('evaluate').click();
    await page.getByTestId('eval-accuracy').waitFor({ timeout: 240_000 });
    const records = page.getByTestId('eval-record');
    await expect.poll(() => records.count(), { timeout: 30_000 }).toBe(3);
    // The samples hold levels 1 to 5 across four subjects: every drawn record is an Algebra problem of level 3.
    for (const meta of await records.locator('p.meta').allTextContents()) expect(meta).toMatch(/^Algebra, level 3; /);

    // GSM8K has neither subjects nor levels: dropping it takes the filters away and clears the ticks.
    await page.getByTestId('eval-benchmark-file').setInputFiles(sharedData('gsm8k', 'test.jsonl'));
    await page.getByTestId('eval-no-filters').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('eval-filters').count()).toBe(0);
    expect(await page.getByTestId('eval-benchmark').textContent()).toBe('test.jsonl');
    expect(errors).toEqual([]);
    await page.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ARTIFACTS, horizontalOverflow, openLabBrowser, panel, seriesEnds, watchPageErrors, loadBundledModel } from './lab';
import { REPO_ROOT } from '../sharedData';

/**
 * Issue 8's whole flow, through the controls a person uses: the bundled tiny model, the sample shard through the file
 * input, two adapters with different settings, both evaluated on 5 sample problems in one action, the comparison, and a reload in the
 * middle of a third run that then resumes. Steps and answers are tiny so it runs in minutes on SwiftShader.
 */
let lab: Awaited<ReturnType<typeof openLabBrowser>>;

beforeAll(async () => {
  lab = await openLabBrowser();
});

afterAll(async () => {
  await lab?.close();
});

const status = (page: Page) => page.getByTestId('train-status');
const statusText = async (page: Page) => ((await status(page).count()) > 0 ? ((await status(page).textContent()) ?? '') : '');

async function train(
  page: Page,
  settings: { name: string; rank: string; lr: string; steps: string; dropout?: string; stageOrder?: string },
): Promise<void> {
  await page.getByTestId('train-name').fill(settings.name);
  await page.getByTestId('train-dropout').fill(settings.dropout ?? '0');
  await page.getByTestId('train-stage-order').selectOption(settings.stageOrder ?? 'none');
  await page.getByTestId('train-rank').fill(settings.rank);
  await page.getByTestId('train-lr').fill(settings.lr);
  await page.getByTestId('train-steps').fill(settings.steps);
  await page.getByTestId('train-seqlen').fill('128');
  await page.getByTestId('train').click();
  const done = new RegExp(`^${settings.name}: step ${settings.steps} / ${settings.steps}: loss`);
  await expect.poll(() => statusText(page), { timeout: 400_000 }).toMatch(done);
  // Finished once Start is offered again (the adapter is saved to the library by then).
  await expect.poll(() => page.getByTestId('train').isEnabled(), { timeout: 60_000 }).toBe(true);
}

/** Both adapters in one action through the Models checkboxes (the base model unticked), on 5 sample problems. */
async function evaluateBothAdapters(page: Page): Promise<void> {
  // With nothing ticked the panel says what is missing and offers no Evaluate; the hover asks for the library again.
  await page.getByTestId('eval-model-base').uncheck();
  expect(await page.getByTestId('eval-models-invalid').textContent()).toMatch(/at least one model/);
  expect(await page.getByTestId('evaluate').isEnabled()).toBe(false);
  const adapters = page.getByTestId('eval-model-adapter');
  await expect.poll(() => adapters.count(), { timeout: 30_000 }).toBe(2);
  for (const box of await adapters.all()) await box.check();
  expect(await page.getByTestId('eval-models-invalid').count()).toBe(0);
  await page.getByTestId('eval-count').fill('5');
  await page.getByTestId('eval-max-tokens').fill('4');
  await page.getByTestId('evaluate').click();
  const current = page.getByTestId('eval-current');
  await expect
    .poll(async () => ((await current.count()) > 0 ? await current.textContent() : ''), { timeout: 300_000 })
    .toBe('Evaluating 2 of 2: rank16');
  // Done once Evaluate is offered again: the second run's result and its 5 records are shown.
  await expect.poll(() => page.getByTestId('evaluate').isEnabled(), { timeout: 300_000 }).toBe(true);
  expect(await page.getByTestId('eval-accuracy').textContent()).toMatch(/^Accuracy: [\d.]+% \(\d\/5\)$/);
  await expect.poll(() => page.getByTestId('eval-record').count(), { timeout: 30_000 }).toBe(5);
}

describe('the whole lab flow in Chromium', () => {
  it('trains two adapters, evaluates and compares them, and resumes a run cut off by a reload', async () => {
    const page = await lab.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    await loadBundledModel(page);
    await page.getByTestId('shard-files').setInputFiles(`${REPO_ROOT}/public/samples/shard.jsonl`);
    await page.getByTestId('shard-table').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('adapters-empty').count()).toBe(1);

    // Two adapters with different settings (the second with dropout and a two-stage curriculum); each one's loss falls.
    await train(page, { name: 'rank4', rank: '4', lr: '0.01', steps: '3' });
    const first = seriesEnds((await page.getByTestId('loss-chart-summary').textContent())!, 'training loss');
    expect(first.points).toBe(3);
    expect(first.last).toBeLessThan(first.first);
    await train(page, { name: 'rank16', rank: '16', lr: '0.02', steps: '4', dropout: '0.1', stageOrder: 'normal-hard' });
    const second = seriesEnds((await page.getByTestId('loss-chart-summary').textContent())!, 'training loss');
    expect(second.points).toBe(4);
    expect(second.last).toBeLessThan(second.first);
    await panel(page, 'Train').screenshot({ path: `${ARTIFACTS}/flow-train.png` });

    // Both evaluated in one action on the same 5 sample problems, each with its adapter in use.
    await evaluateBothAdapters(page);
    await expect.poll(() => page.getByTestId('compare-run').count(), { timeout: 30_000 }).toBe(2);
    await page.getByTestId('eval-record').first().locator('summary').first().click();
    await panel(page, 'Evaluate').screenshot({ path: `${ARTIFACTS}/flow-evaluate.png` });

    for (const box of await page.getByTestId('compare-run').all()) await box.check();
    await page.getByTestId('compare').click();
    const table = page.getByTestId('compare-table');
    await table.waitFor({ timeout: 60_000 });
    expect(await table.locator('thead th').count()).toBe(3);
    const header = (await table.locator('thead').textContent()) ?? '';
    expect(header).toContain('+ rank4');
    expect(header).toContain('+ rank16');
    expect(await page.getByTestId('compare-pair').innerText()).toMatch(/McNemar p = [\d.]+/);
    // The overlay asks the library for the adapters' curves after the comparison arrives.
    const overlaySummary = page.getByTestId('compare-loss-chart-summary');
    await expect.poll(async () => (await overlaySummary.textContent()) ?? '', { timeout: 30_000 }).toContain('rank16 (');
    const overlay = (await overlaySummary.textContent()) ?? '';
    expect(seriesEnds(overlay, 'rank4 \\([^)]*\\)').points).toBe(3);
    expect(seriesEnds(overlay, 'rank16 \\([^)]*\\)').points).toBe(4);
    await panel(page, 'Compare').screenshot({ path: `${ARTIFACTS}/flow-compare.png` });
    expect(await horizontalOverflow(page)).toBe(0);

    // The library lists both adapters with their evaluations.
    const library = panel(page, 'Adapters');
    await expect.poll(() => library.getByTestId('adapter').count(), { timeout: 30_000 }).toBe(2);
    await library.getByTestId('adapter').first().locator('summary').click();
    await expect
      .poll(async () => (await library.getByTestId('adapter-evaluations').first().textContent()) ?? '', { timeout: 30_000 })
      .toMatch(/\(\d\/5\)/);
    const curriculum = library.getByTestId('adapter').nth(1);
    await curriculum.locator('summary').click();
    expect(await curriculum.textContent()).toMatch(/dropout 0\.1,.*Curriculum.*normal \(\d+ examples/s);
    await library.screenshot({ path: `${ARTIFACTS}/flow-adapters.png` });

    // A third run, cut off by a reload after its second step: it is listed on load and resumes to the end.
    await page.getByTestId('train-name').fill('resumed');
    await page.getByTestId('train-steps').fill('6');
    await page.getByTestId('train').click();
    await expect.poll(() => statusText(page), { timeout: 300_000 }).toMatch(/^resumed: step [2-5] \/ 6/);
    await page.reload();
    const listed = page.getByTestId('resume-run');
    await listed.waitFor({ timeout: 60_000 });
    expect(await listed.textContent()).toMatch(/resumed: cut off \(reload or crash\) at step [1-5] of 6/);
    await panel(page, 'Unfinished training runs').screenshot({ path: `${ARTIFACTS}/flow-resume.png` });
    await page.getByTestId('resume').click();
    await expect.poll(() => statusText(page), { timeout: 400_000 }).toMatch(/^resumed: step 6 \/ 6: loss/);
    await expect.poll(() => page.getByTestId('train').isEnabled(), { timeout: 60_000 }).toBe(true);
    // The chart shows the whole run: the steps before the reload (replayed) and after.
    expect(seriesEnds((await page.getByTestId('loss-chart-summary').textContent())!, 'training loss').points).toBe(6);
    expect(await page.getByTestId('resume-run').count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/flow-page.png`, fullPage: true });
    for (const [heading, file] of [
      ['GPU', 'gpu'],
      ['Model', 'model'],
      ['Data', 'data'],
      ['Train', 'train-resumed'],
      ['Generate', 'generate'],
      ['Data-scaling experiment', 'scaling'],
    ] as const) {
      await panel(page, heading).screenshot({ path: `${ARTIFACTS}/flow-${file}.png` });
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 1_200_000);
});

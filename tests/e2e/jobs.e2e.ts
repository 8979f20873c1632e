import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ARTIFACTS, openLabBrowser, panel, watchPageErrors, loadBundledModel, loadSampleShard } from './lab';

let lab: Awaited<ReturnType<typeof openLabBrowser>>;

beforeAll(async () => {
  lab = await openLabBrowser();
});

afterAll(async () => {
  await lab?.close();
});

/** Greedy generation in the Generate panel, waiting until it finishes; returns the text. */
async function generateGreedy(page: Page): Promise<string> {
  await page.getByTestId('prompt').fill('Once upon a time');
  await page.getByTestId('generate-max-tokens').fill('24');
  await page.getByTestId('generate').click();
  await page.getByTestId('generate-stats').waitFor({ timeout: 120_000 });
  return (await page.getByTestId('generated').textContent()) ?? '';
}

/** Clicks Generate while another job holds the model: the button is disabled and says which job; nothing runs. */
async function generateIsHeldBy(page: Page, job: RegExp, before: string): Promise<void> {
  const generatePanel = panel(page, 'Generate');
  const busy = generatePanel.getByTestId('model-busy');
  await busy.waitFor({ timeout: 60_000 });
  expect(await busy.textContent()).toMatch(job);
  expect(await page.getByTestId('generate').isDisabled()).toBe(true);
  await page.getByTestId('generate').click({ force: true });
  expect(await page.getByTestId('generated').textContent()).toBe(before);
  expect(await generatePanel.getByRole('alert').count()).toBe(0);
}

describe('one job on the model at a time', () => {
  it('holds Generate during a 16-problem evaluation, naming it; afterwards greedy Generate gives the same text as before', async () => {
    const page = await lab.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    await loadBundledModel(page);
    const alone = await generateGreedy(page);
    expect(alone.length).toBeGreaterThan(0);

    await page.getByTestId('eval-count').fill('16');
    await page.getByTestId('eval-max-tokens').fill('16');
    await page.getByTestId('evaluate').click();
    await generateIsHeldBy(
      page,
      /^Evaluation of \S+ is running on the model: Generate is available when it finishes or is stopped\.$/,
      alone,
    );
    // Everything else that would use the model says the same, in its own panel.
    expect(await panel(page, 'Train').getByTestId('model-busy').textContent()).toMatch(/^Evaluation of /);
    expect(await page.getByTestId('train').isDisabled()).toBe(true);
    expect(await page.getByTestId('load-bundled').isDisabled()).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/jobs-generate-during-evaluation.png`, fullPage: true });

    await page.getByTestId('eval-accuracy').waitFor({ timeout: 600_000 });
    expect(await page.getByTestId('eval-accuracy').textContent()).toMatch(/\(\d+\/16\)$/);
    await expect.poll(() => page.getByTestId('generate').isEnabled(), { timeout: 30_000 }).toBe(true);
    expect(await page.getByTestId('model-busy').count()).toBe(0);
    expect(await generateGreedy(page)).toBe(alone);
    expect(errors).toEqual([]);
    await page.close();
  }, 900_000);

  it('holds Generate and Evaluate during training, naming the run; both run once it is stopped', async () => {
    const page = await lab.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    await loadBundledModel(page);
    const alone = await generateGreedy(page);
    await loadSampleShard(page);
    await page.getByTestId('train-name').fill('busy');
    await page.getByTestId('train-steps').fill('500');
    await page.getByTestId('train-seqlen').fill('128');
    await page.getByTestId('train').click();
    await generateIsHeldBy(
      page,
      /^Training "busy" is running on the model: Generate is available when it finishes or is stopped\.$/,
      alone,
    );
    expect(await panel(page, 'Evaluate').getByTestId('model-busy').textContent()).toMatch(/^Training "busy" is running on the model/);
    expect(await page.getByTestId('evaluate').isDisabled()).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/jobs-generate-during-training.png`, fullPage: true });

    await page.getByTestId('train-stop').click();
    await expect.poll(() => page.getByTestId('generate').isEnabled(), { timeout: 120_000 }).toBe(true);
    expect(await page.getByTestId('model-busy').count()).toBe(0);
    // The adapter the run stopped with is not in use until chosen: the base model's text again.
    expect(await page.getByTestId('active-adapter').inputValue()).toBe('');
    expect(await generateGreedy(page)).toBe(alone);
    expect(errors).toEqual([]);
    await page.close();
  }, 900_000);

  it('refuses a training run over the GPU memory budget set in the GPU panel, with the plan, before it starts', async () => {
    const page = await lab.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    await loadBundledModel(page);
    await loadSampleShard(page);
    const budget = page.getByTestId('memory-budget');
    await budget.fill('0.001');
    await budget.press('Enter');
    await page.getByTestId('train').click();
    const refusal = panel(page, 'Train').getByRole('alert');
    await refusal.waitFor({ timeout: 60_000 });
    expect(await refusal.textContent()).toMatch(
      /training does not fit this GPU: needs [\d.]+ MiB of GPU memory but 977 KiB is available \(lower the batch or sequence length\) — Plan: weights \(frozen, as stored\) .*saved activations .*total [\d.]+ MiB\./,
    );
    // Refused before it started: no run to resume, no step shown.
    expect(await page.getByTestId('train-status').count()).toBe(0);
    expect(await page.getByTestId('train').isEnabled()).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/jobs-memory-budget.png`, fullPage: true });

    // The budget describes this machine: it is still set after a reload.
    await page.reload();
    expect(await page.getByTestId('memory-budget').inputValue()).toBe('0.001');
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);
});

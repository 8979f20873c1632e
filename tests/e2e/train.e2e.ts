import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openLabBrowser, watchPageErrors, loadBundledModel, loadSampleShard } from './lab';

let lab: Awaited<ReturnType<typeof openLabBrowser>>;

beforeAll(async () => {
  lab = await openLabBrowser();
});

afterAll(async () => {
  await lab?.close();
});

describe('the Train panel', () => {
  it('trains a LoRA adapter on the sample shard with the bundled model, pausing and resuming it, charting the loss, and offers it for generation; Stop ends a run for good; a run in epochs with linear decay trains the steps it planned', async () => {
    const page = await lab.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    await loadBundledModel(page);
    await loadSampleShard(page);
    // A field the engine would refuse is named next to it, and the run cannot start.
    await page.getByTestId('train-rank').fill('0');
    expect(await page.getByText('Rank must be between 1 and 256.').count()).toBe(1);
    expect(await page.getByTestId('train').isDisabled()).toBe(true);
    await page.getByTestId('train-rank').fill('8');
    await page.getByTestId('train-steps').fill('3');
    await page.getByTestId('train-seqlen').fill('128');
    await page.getByTestId('train-lr').fill('0.01');
    await page.getByTestId('train').click();
    const status = page.getByTestId('train-status');
    const statusText = async () => ((await status.count()) > 0 ? await status.textContent() : '');
    // Pause after the first step: the run stops with a checkpoint and Resume continues it to the end.
    await expect.poll(statusText, { timeout: 400_000 }).toMatch(/^adapter: step [12] \/ 3/);
    await page.getByTestId('train-pause').click();
    await page.getByTestId('train-resume').waitFor({ timeout: 120_000 });
    expect(await statusText()).toMatch(/^adapter \(paused\): step [12] \/ 3/);
    expect(await page.getByTestId('resume-run').textContent()).toMatch(/adapter: paused at step [12] of 3/);
    await page.getByTestId('train-resume').click();
    await expect.poll(statusText, { timeout: 400_000 }).toMatch(/^adapter: step 3 \/ 3: loss [\d.]+/);
    expect(await status.textContent()).toMatch(/GPU memory in use [\d.]+ (KiB|MiB|GiB)/);
    await expect.poll(() => page.getByTestId('train').isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await page.getByTestId('resume-run').count()).toBe(0);
    await page.getByTestId('loss-chart').locator('canvas').first().waitFor();
    expect(await page.getByTestId('loss-chart-summary').textContent()).toMatch(
      /^training loss [\d.]+ → [\d.]+ at step 3 \(3 points\); validation loss /,
    );
    for (const chart of ['lr-chart', 'grad-chart', 'tokens-chart'])
      expect(await page.getByTestId(`${chart}-summary`).textContent()).toMatch(/at step 3 \(3 points\)$/);
    await page.getByTestId('active-adapter').waitFor({ timeout: 60_000 });
    await page.getByTestId('active-adapter').selectOption({ index: 1 });
    await page.screenshot({ path: `${ARTIFACTS}/train-panel.png`, fullPage: true });

    // Stop ends a run for good: nothing to resume, and the adapter as it was goes to the library.
    await page.getByTestId('train-name').fill('ended');
    await page.getByTestId('train').click();
    await expect.poll(statusText, { timeout: 400_000 }).toMatch(/^ended: step [12] \/ 3/);
    await page.getByTestId('train-stop').click();
    await expect.poll(() => page.getByTestId('train').isEnabled(), { timeout: 120_000 }).toBe(true);
    expect(await page.getByTestId('resume-run').count()).toBe(0);
    expect(await page.getByTestId('train-resume').count()).toBe(0);
    const library = page.getByTestId('adapter').filter({ hasText: 'ended' });
    await expect
      .poll(async () => (await library.count()) > 0 && (await library.locator('summary').textContent()), { timeout: 30_000 })
      .toMatch(/ended.*stopped, [12] steps/);

    // A run in epochs with linear decay, chosen through the controls: the engine plans its steps from the packed rows
    // before step 1, the progress text counts to them, and the lr chart falls in a straight line to 0.
    await page.getByTestId('train-name').fill('epochs');
    await page.getByTestId('train-decay').selectOption('linear');
    await page.getByTestId('train-warmup').fill('0');
    await page.getByTestId('train-length').selectOption('epochs');
    await page.getByTestId('train-epochs').fill('0.01');
    await page.getByTestId('train').click();
    await expect.poll(statusText, { timeout: 120_000 }).toMatch(/^epochs: step \d+ \/ \d+/);
    const plan = /^planned (\d+) steps?: [\d.]+ epochs of (\d+) training rows \((\d+) micro-batches per epoch\)$/.exec(
      (await page.getByTestId('train-plan').textContent()) ?? '',
    );
    expect(plan).not.toBeNull();
    const [planned, rows, perEpoch] = plan!.slice(1).map(Number);
    // Batch 1, accumulation 1: a micro-batch per row and per step.
    expect(perEpoch).toBe(rows);
    expect(planned).toBe(Math.ceil(0.01 * rows));
    expect(planned).toBeGreaterThan(1);
    await expect.poll(statusText, { timeout: 400_000 }).toMatch(new RegExp(`^epochs: step ${planned} / ${planned}: loss`));
    const firstLr = String(Number((0.01 * (1 - 1 / planned)).toPrecision(4)));
    expect(await page.getByTestId('lr-chart-summary').textContent()).toBe(
      `learning rate ${firstLr} → 0 at step ${planned} (${planned} points)`,
    );
    await expect.poll(() => page.getByTestId('train').isEnabled(), { timeout: 60_000 }).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/train-epochs.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
    // Four runs: the first step of each compiles the training pipelines, slow on a loaded SwiftShader machine.
  }, 1_200_000);
});

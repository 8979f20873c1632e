import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, horizontalOverflow, openLabBrowser, panel, seriesEnds, watchPageErrors, loadBundledModel } from './lab';
import { REPO_ROOT, sharedData } from '../sharedData';

let lab: Awaited<ReturnType<typeof openLabBrowser>>;

beforeAll(async () => {
  lab = await openLabBrowser();
});

afterAll(async () => {
  await lab?.close();
});

async function exportFiles(page: Page, adapter: ReturnType<Page['getByTestId']>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lora-lab-export-'));
  const downloads: Promise<string>[] = [];
  page.on('download', (d) => {
    const path = join(dir, d.suggestedFilename());
    downloads.push(d.saveAs(path).then(() => path));
  });
  await adapter.getByTestId('export-adapter').click();
  await expect.poll(() => downloads.length, { timeout: 30_000 }).toBe(2);
  return Promise.all(downloads);
}

describe('the scaling experiment and the adapters library', () => {
  it('trains and evaluates an adapter per nested size on the chosen benchmark, plots accuracy against examples, and the library exports, imports and deletes them', async () => {
    // A small laptop's window: every panel has to fit its width.
    const page = await lab.browser.newPage({ viewport: { width: 1024, height: 768 }, acceptDownloads: true });
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    await loadBundledModel(page);
    await page.getByTestId('shard-files').setInputFiles(`${REPO_ROOT}/public/samples/shard.jsonl`);
    await page.getByTestId('shard-table').waitFor({ timeout: 60_000 });

    const scaling = panel(page, 'Data-scaling experiment');
    await page.getByTestId('scaling-sizes').fill('8, 4');
    expect(await scaling.getByText('Sizes must grow: 4 comes after 8.').count()).toBe(1);
    expect(await page.getByTestId('scaling-run').isDisabled()).toBe(true);
    await page.getByTestId('scaling-sizes').fill('4, 8');
    await page.getByTestId('scaling-steps').fill('2');
    await page.getByTestId('scaling-seqlen').fill('128');
    // Evaluated on a dropped GSM8K file, not the sample problems: the Evaluate panel's benchmark picker.
    await page.getByTestId('scaling-benchmark-file').setInputFiles(sharedData('gsm8k', 'test.jsonl'));
    expect(await page.getByTestId('scaling-benchmark').textContent()).toBe('test.jsonl');
    await page.getByTestId('scaling-count').fill('2');
    await page.getByTestId('scaling-sample-seed').fill('5');
    await page.getByTestId('scaling-max-tokens').fill('4');
    await page.getByTestId('scaling-run').click();
    const rows = page.getByTestId('scaling-table').locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 600_000 }).toBe(2);
    await expect.poll(() => page.getByTestId('scaling-run').isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await rows.first().textContent()).toMatch(/^4scaling-n4.*\d \/ 2[\d.]+% \[[\d.]+%, [\d.]+%\]$/);
    expect(await rows.nth(1).textContent()).toMatch(/^8scaling-n8/);
    expect(await page.getByTestId('scaling-evaluated-on').textContent()).toMatch(/same 2 problems of test\.jsonl \(read as gsm8k\)/);
    expect(seriesEnds((await page.getByTestId('scaling-chart-summary').textContent())!, 'accuracy \\(%\\)').points).toBe(2);
    await scaling.screenshot({ path: `${ARTIFACTS}/scaling-panel.png` });

    // Both adapters are in the library; one goes out as PEFT files and comes back in as an import.
    const library = panel(page, 'Adapters');
    await expect.poll(() => library.getByTestId('adapter').count(), { timeout: 30_000 }).toBe(2);
    const first = library.getByTestId('adapter').first();
    await first.locator('summary').click();
    await expect
      .poll(async () => (await first.getByTestId('adapter-evaluations').textContent()) ?? '', { timeout: 30_000 })
      .toMatch(/scaling n=4: [\d.]+% \(\d\/2\)/);
    const files = await exportFiles(page, first);
    expect(files.map((f) => f.split('/').pop()).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    await page.getByTestId('import-name').fill('roundtrip');
    await page.getByTestId('import-adapter').setInputFiles(files);
    await expect.poll(() => library.getByTestId('adapter').count(), { timeout: 60_000 }).toBe(3);
    const imported = library.getByTestId('adapter').filter({ hasText: 'roundtrip' });
    expect(await imported.locator('summary').textContent()).toMatch(/roundtrip.*imported/);
    await imported.locator('summary').click();
    await library.screenshot({ path: `${ARTIFACTS}/adapters-panel.png` });

    expect(await horizontalOverflow(page)).toBe(0);

    await imported.getByTestId('delete-adapter').click();
    await imported.getByTestId('confirm-delete-adapter').click();
    await expect.poll(() => library.getByTestId('adapter').count(), { timeout: 30_000 }).toBe(2);
    expect(errors).toEqual([]);
    await page.close();
  }, 900_000);
});

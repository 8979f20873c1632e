import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACTS, openLabBrowser, watchPageErrors, loadBundledModel } from './lab';
import { REPO_ROOT } from '../sharedData';

let lab: Awaited<ReturnType<typeof openLabBrowser>>;

beforeAll(async () => {
  lab = await openLabBrowser();
});

afterAll(async () => {
  await lab?.close();
});

describe('the Data panel', () => {
  it('takes shards through the file input, lists bad rows, and reports a file that is not a dataset', async () => {
    const page = await lab.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    const mixed = join(tmpdir(), 'mixed.jsonl');
    writeFileSync(
      mixed,
      '{"question": "What is 2+2?", "answer": "2+2=4\\n#### 4"}\n{broken json\n{"question": "What is 3+3?", "answer": "#### 6"}\n',
    );
    const binary = join(tmpdir(), 'weights.bin');
    writeFileSync(binary, new Uint8Array([0, 159, 146, 150, 0, 1, 2]));
    await page.getByTestId('shard-files').setInputFiles([`${REPO_ROOT}/public/samples/shard.jsonl`, mixed, binary]);
    const table = page.getByTestId('shard-table');
    await table.waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('data-total').textContent()).toBe('402 examples, 402 with a final answer.');
    const text = await table.textContent();
    expect(text).toContain('shard.jsonl');
    expect(text).toContain('mixed.jsonl');
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/^weights\.bin: /);
    await page.getByText('1', { exact: true }).first().click();
    await page.screenshot({ path: `${ARTIFACTS}/data-panel.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('with a model loaded, shows the sample shard’s token lengths as a histogram with its counts in text', async () => {
    const page = await lab.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    await loadBundledModel(page);
    await page.getByTestId('load-sample-shard').click();
    const chart = page.getByTestId('length-chart');
    await chart.waitFor({ timeout: 60_000 });
    expect(await chart.locator('canvas').count()).toBe(1);
    const summary = (await page.getByTestId('length-chart-summary').textContent()) ?? '';
    const rows = Number(/^(\d+) examples/.exec((await page.getByTestId('data-total').textContent()) ?? '')?.[1]);
    expect(summary).toMatch(
      /^\d+ examples by length in tokens: 0–127: \d+, 128–255: \d+, .*4096\+: \d+\. Mean [\d.]+, median \d+, 95th percentile \d+, longest \d+\.$/,
    );
    // Every example falls in exactly one bin.
    const binTotal = [...summary.matchAll(/: (\d+)(?=[,.])/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(binTotal).toBe(rows);
    expect(summary.startsWith(`${rows} examples`)).toBe(true);
    await chart.screenshot({ path: `${ARTIFACTS}/data-length-chart.png` });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('asks which fields hold the problem, solution and answer of a layout it does not know, then loads the file with them', async () => {
    const page = await lab.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    const custom = join(tmpdir(), 'custom-layout.jsonl');
    writeFileSync(
      custom,
      '{"q": "What is 2+3?", "worked": "Two plus three is five.", "final": "5"}\n{"q": "What is 4*6?", "worked": "Four sixes.", "final": "24"}\n',
    );
    await page.getByTestId('shard-files').setInputFiles([custom]);
    const mapping = page.getByTestId('field-mapping');
    await mapping.waitFor({ timeout: 60_000 });
    expect(await mapping.textContent()).toContain('fields: q, worked, final');
    expect(await page.getByTestId('map-load').isDisabled()).toBe(true);
    await page.getByTestId('map-prompt').selectOption('q');
    await page.getByTestId('map-response').selectOption('worked');
    await page.getByTestId('map-answer').selectOption('final');
    await page.getByTestId('map-load').click();
    const table = page.getByTestId('shard-table');
    await table.waitFor({ timeout: 60_000 });
    expect(await table.textContent()).toContain('custom (prompt=q, response=worked, answer=final)');
    expect(await page.getByTestId('data-total').textContent()).toBe('2 examples, 2 with a final answer.');
    expect(await mapping.count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/data-field-mapping.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('cleans against an evaluation set it is given, and the cleaning report names each removed row and what it repeats or leaks', async () => {
    const page = await lab.browser.newPage({ acceptDownloads: true });
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    const sample = readFileSync(`${REPO_ROOT}/public/samples/shard.jsonl`, 'utf8').trim().split('\n').slice(0, 20);
    const problem = (JSON.parse(readFileSync(`${REPO_ROOT}/public/samples/problems.jsonl`, 'utf8').split('\n')[3]) as { problem: string })
      .problem;
    const leak = JSON.stringify({ query: problem, response: 'Worked out.\nThe answer is: 1', type: 'leak' });
    const shard = join(tmpdir(), 'leaky.jsonl');
    writeFileSync(shard, [...sample, leak, sample[4]].join('\n') + '\n');
    await page.getByTestId('eval-set-files').setInputFiles(`${REPO_ROOT}/public/samples/problems.jsonl`);
    await expect.poll(() => page.getByTestId('eval-sets').count(), { timeout: 60_000 }).toBe(1);
    expect(await page.getByTestId('eval-sets').textContent()).toMatch(/problems\.jsonl \(\d+ problems\)/);
    await page.getByTestId('shard-files').setInputFiles([shard]);
    const table = page.getByTestId('shard-table');
    await table.waitFor({ timeout: 60_000 });
    const cells = (await table.locator('tbody td').allTextContents()).map((t) => t.trim());
    expect(cells.slice(2)).toEqual(['20', '0', '1 exact, 0 near', '1']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('cleaning-report').click()]);
    const report = JSON.parse(readFileSync(await download.path(), 'utf8'));
    expect(report.shards[0].duplicates.rows).toEqual([{ row: 22, kind: 'exact', of: { shard: 'leaky.jsonl', row: 5 }, similarity: 1 }]);
    expect(report.shards[0].contaminated.rows).toMatchObject([{ row: 21, set: 'problems.jsonl' }]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

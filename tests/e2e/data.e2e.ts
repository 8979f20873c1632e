import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACTS, openLabBrowser, watchPageErrors } from './lab';
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
    writeFileSync(mixed, '{"question": "What is 2+2?", "answer": "2+2=4\\n#### 4"}\n{broken json\n{"question": "What is 3+3?", "answer": "#### 6"}\n');
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
});

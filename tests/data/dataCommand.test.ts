import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { SAMPLE_SHARD_PATH } from '../../scripts/make-sample-shard';
import { sharedData } from '../sharedData';
import { jsonl, tempDir, writeTemp } from './files';
import { parquetFile } from './parquetEncoder';
import { readFileSync, rmSync } from 'node:fs';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(['data', ...argv], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('lora-lab data', () => {
  const dir = tempDir('data-cli');
  const gsmTest = readFileSync(sharedData('gsm8k', 'test.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const leaked = gsmTest.findIndex((r) => r.question.split(/\s+/).length > 50);
  const shardA = writeTemp(
    dir,
    'a.jsonl',
    jsonl([
      { question: 'What is 1 + 1?', answer: '1 + 1 = 2\n#### 2' },
      { question: 'What is 2 + 2?' },
      { question: 'what is 1 + 1?', answer: '1 + 1 = 2\n#### 2' },
      gsmTest[leaked],
    ]) + '{"question": "cut',
  );
  const shardB = writeTemp(
    dir,
    'b.jsonl',
    jsonl([
      { question: 'What is 1 + 1?', answer: '1 + 1 = 2\n#### 2' },
      { question: 'What is 3 + 3?', answer: '#### 6' },
    ]),
  );
  const notData = writeTemp(dir, 'weights.bin', new Uint8Array(64));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--json prints one object per shard with schema, rows kept, bad rows, duplicates and contaminated rows', async () => {
    const { code, out } = await run(shardA, shardB, '--decontaminate', sharedData('gsm8k', 'test.jsonl'), '--json');
    expect(code).toBe(0);
    const [a, b] = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(a).toMatchObject({ file: shardA, schema: 'gsm8k', format: 'jsonl', unit: 'line', rows: 1, rowsValid: 3, badCount: 2 });
    expect(a.bad).toEqual([
      { line: 2, reason: 'missing field "answer"' },
      { line: 5, reason: expect.stringMatching(/^broken JSON.*truncated/) },
    ]);
    expect(a.duplicates).toMatchObject({
      exact: 1,
      near: 0,
      acrossShards: 0,
      rows: [{ line: 3, kind: 'exact', of: { file: shardA, line: 1 } }],
    });
    expect(a.contaminated.count).toBe(1);
    expect(a.contaminated.rows[0]).toMatchObject({ line: 4, evalItem: `${sharedData('gsm8k', 'test.jsonl')} line ${leaked + 1}` });
    expect(b).toMatchObject({ rows: 1, duplicates: { exact: 1, acrossShards: 1 }, contaminated: { count: 0 } });
  });

  it('text output names the layout and lists each problem with its line', async () => {
    const { code, out } = await run(shardA);
    expect(code).toBe(0);
    expect(out).toContain(`${shardA}: GSM8K (jsonl)`);
    expect(out).toContain('rows kept 2 of 5 read: 2 bad, 1 exact and 0 near duplicates');
    expect(out).toContain('line 2: missing field "answer"');
    expect(out).toContain(`line 3: exact duplicate of ${shardA} line 1`);
  });

  it('a file that is not a dataset is one error line and exit code 1; the other shards are still reported', async () => {
    const { code, out } = await run(notData, SAMPLE_SHARD_PATH, '--json');
    expect(code).toBe(1);
    const [bad, good] = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(bad).toEqual({
      file: notData,
      error: `${notData}: this is a binary file, not a dataset — use JSON Lines, a JSON array, Parquet or gzip-compressed JSON Lines`,
    });
    expect(good).toMatchObject({ schema: 'metamath', rows: 400, badCount: 0 });
  });

  it('--map reads another layout, and a Parquet shard reports 0-based rows', async () => {
    const path = writeTemp(
      dir,
      'alpaca.parquet',
      parquetFile(
        [
          { name: 'instruction', kind: 'string' },
          { name: 'output', kind: 'string' },
        ],
        [
          { instruction: 'Add 1 and 2.', output: 'The answer is: 3' },
          { instruction: 'Empty', output: '' },
        ],
      ),
    );
    const { out } = await run(path, '--map', 'prompt=instruction,response=output', '--json');
    expect(JSON.parse(out)).toMatchObject({
      schema: 'custom',
      format: 'parquet',
      unit: 'row',
      rows: 1,
      bad: [{ line: 1, reason: 'empty response' }],
    });
  });

  it('usage errors: no shard, an unknown map role, a missing file', async () => {
    expect((await run()).code).toBe(2);
    expect((await run(shardA, '--map', 'question=q')).err).toMatch(/--map: "question=q" is not role=field/);
    const missing = await run(`${dir}/nope.jsonl`, '--json');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.out).error).toMatch(/file not found/);
  });
});

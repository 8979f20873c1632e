import { describe, expect, it } from 'vitest';
import { openAsBlob, readFileSync } from 'node:fs';
import { DatasetWorkspace } from '../../src/worker/datasets';
import { examplesIn } from '../../src/data/example';
import { sharedData, REPO_ROOT } from '../sharedData';

const SAMPLE = `${REPO_ROOT}/public/samples/shard.jsonl`;

function named(blob: Blob, name: string): File {
  return new File([blob], name);
}

describe('dataset workspace (the worker side of the Data panel)', () => {
  it('loads shards, keeps going past a file that is not a dataset, and summarises what it kept', async () => {
    const ws = new DatasetWorkspace();
    const result = await ws.addShards([
      named(await openAsBlob(SAMPLE), 'shard.jsonl'),
      new File([new Uint8Array([0, 1, 2, 3, 255, 254])], 'weights.bin'),
      named(await openAsBlob(sharedData('gsm8k', 'test.jsonl')), 'gsm8k-test.jsonl'),
    ]);
    expect(result.added.map((r) => [r.name, r.schema, r.rowsKept])).toEqual([
      ['shard.jsonl', 'metamath', 400],
      ['gsm8k-test.jsonl', 'gsm8k', 1319],
    ]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0].name).toBe('weights.bin');
    const summary = ws.summary();
    expect(summary.stats.rows).toBe(1719);
    expect(summary.stats.perShard).toEqual({ 'shard.jsonl': 400, 'gsm8k-test.jsonl': 1319 });
  });

  it('re-cleans loaded shards when an evaluation set is added, removing the overlapping rows', async () => {
    const ws = new DatasetWorkspace();
    const gsmTest = readFileSync(sharedData('gsm8k', 'test.jsonl'), 'utf8').split('\n').filter(Boolean);
    // A training shard that leaked 5 test problems among 20 train problems.
    const train = readFileSync(sharedData('gsm8k', 'train.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 20);
    const leaked = gsmTest.filter((row) => JSON.parse(row).question.split(/\s+/).length >= 40).slice(0, 5);
    await ws.addShards([new File([[...train, ...leaked].join('\n')], 'mixed.jsonl')]);
    expect(ws.summary().shards[0].rowsKept).toBe(25);
    const evalSet = await ws.addEvalSet(new File([gsmTest.join('\n')], 'gsm8k-test.jsonl'));
    expect(evalSet.problems).toBe(1319);
    const shard = ws.summary().shards[0];
    expect(shard.rowsKept).toBe(20);
    expect(shard.contaminated.count).toBe(5);
    expect(shard.contaminated.rows.map((r) => r.row)).toEqual([21, 22, 23, 24, 25]);
  });

  it('forgets a removed shard', async () => {
    const ws = new DatasetWorkspace();
    await ws.addShards([named(await openAsBlob(SAMPLE), 'a.jsonl')]);
    await ws.removeShard('a.jsonl');
    expect(ws.summary().stats.rows).toBe(0);
    await expect(ws.removeShard('a.jsonl')).rejects.toThrow(/no shard with this name/);
  });

  it('names the fields of a layout it does not know, and loads it with the mapping the user picks, also after a re-clean', async () => {
    const ws = new DatasetWorkspace();
    // Alpaca-like field names that no known layout uses; the answer sits in its own field.
    const rows = [
      { q: 'What is 2+3?', worked: 'Two plus three is five.', final: '5' },
      { q: 'What is 4*6?', worked: 'Four sixes are twenty-four.', final: '24' },
    ];
    const file = new File([rows.map((r) => JSON.stringify(r)).join('\n')], 'custom.jsonl');
    const first = await ws.addShards([file]);
    expect(first.added).toEqual([]);
    expect(first.failed.map((f) => [f.name, f.fields])).toEqual([['custom.jsonl', ['q', 'worked', 'final']]]);

    const second = await ws.addShards([file], undefined, { prompt: 'q', response: 'worked', answer: 'final' });
    expect(second.failed).toEqual([]);
    expect(second.added.map((r) => [r.name, r.schema, r.rowsKept])).toEqual([['custom.jsonl', 'custom', 2]]);
    expect([...examplesIn(ws.examples())].map((e) => [e.prompt, e.answer])).toEqual([
      ['What is 2+3?', '5'],
      ['What is 4*6?', '24'],
    ]);
    // Adding an evaluation set reloads every shard: the mapping must come along.
    await ws.addEvalSet(new File([readFileSync(sharedData('gsm8k', 'test.jsonl'), 'utf8')], 'gsm8k-test.jsonl'));
    expect(ws.summary().shards.map((r) => [r.name, r.rowsKept])).toEqual([['custom.jsonl', 2]]);
  });

  it('gives no fields to map for a file that is not a dataset at all', async () => {
    const ws = new DatasetWorkspace();
    const result = await ws.addShards([new File([new Uint8Array([0, 1, 2, 3, 255, 254])], 'weights.bin')]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0].fields).toBeUndefined();
  });
});

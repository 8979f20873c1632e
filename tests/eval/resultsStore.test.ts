import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryResultsStore, type ResultsStore } from '../../src/eval/resultsStore';
import { FsResultsStore } from '../../src/eval/fsResultsStore';
import type { ProblemRecord, RunInfo } from '../../src/eval/records';

/** What every results store promises (the OPFS one is held to the same in Chromium: opfsResultsStore.test.ts). */
const dir = mkdtempSync(join(tmpdir(), 'lora-lab-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runInfo(id: string, createdAt: string): RunInfo {
  return {
    id,
    name: id,
    benchmark: 'math500',
    promptStyle: 'sft-zero-shot',
    generator: { kind: 'model', name: 'm.gguf' },
    maxNewTokens: 16,
    problemIds: ['p1', 'p2', 'p3'],
    createdAt,
  };
}

function record(problemId: string, output: string): ProblemRecord {
  return {
    problemId,
    subject: 'Algebra',
    level: 1,
    gold: '2',
    prompt: 'What is 1+1?\n',
    output,
    extracted: null,
    correct: false,
    rule: 'no-answer',
    reason: 'none',
    promptTokens: 5,
    outputTokens: 3,
    timeMs: 1.5,
  };
}

let storesMade = 0;
const stores: [string, () => ResultsStore][] = [
  ['memory', () => new MemoryResultsStore()],
  ['disk', () => new FsResultsStore(join(dir, `store-${++storesMade}`))],
];

describe.each(stores)('%s results store', (_, makeStore) => {
  it('appends records in order, keeps them when the run is saved again, lists runs by creation time, deletes', async () => {
    const store = makeStore();
    await store.saveRun(runInfo('later', '2025-03-01T00:00:00.000Z'));
    await store.saveRun(runInfo('earlier', '2025-01-01T00:00:00.000Z'));
    await store.appendRecords('earlier', [record('p1', 'a "quoted"\nline')]);
    await store.appendRecords('earlier', [record('p2', 'b'), record('p3', 'c')]);
    await store.appendRecords('earlier', []);
    await store.saveRun({ ...runInfo('earlier', '2025-01-01T00:00:00.000Z'), name: 'renamed' });
    const loaded = (await store.loadRun('earlier'))!;
    expect(loaded.info.name).toBe('renamed');
    expect(loaded.records).toEqual([record('p1', 'a "quoted"\nline'), record('p2', 'b'), record('p3', 'c')]);
    expect((await store.listRuns()).map((r) => r.id)).toEqual(['earlier', 'later']);
    await store.deleteRun('earlier');
    await store.deleteRun('never-existed');
    expect((await store.listRuns()).map((r) => r.id)).toEqual(['later']);
  });

  it('has no run it was not given, and refuses records for one', async () => {
    const store = makeStore();
    expect(await store.loadRun('no-such-run')).toBeNull();
    await expect(store.appendRecords('no-such-run', [record('p1', 'x')])).rejects.toThrow(/no run "no-such-run" to append to/);
  });
});

describe('disk results store', () => {
  it('lays runs out as the page does in OPFS, and a new store on the same directory sees them', async () => {
    const root = join(dir, 'layout');
    await new FsResultsStore(root).saveRun(runInfo('r1', '2025-01-01T00:00:00.000Z'));
    await new FsResultsStore(root).appendRecords('r1', [record('p1', 'x')]);
    expect(JSON.parse(readFileSync(join(root, 'r1', 'info.json'), 'utf8')).id).toBe('r1');
    expect(readFileSync(join(root, 'r1', 'records.jsonl'), 'utf8')).toBe(JSON.stringify(record('p1', 'x')) + '\n');
    expect((await new FsResultsStore(root).loadRun('r1'))!.records).toHaveLength(1);
  });

  it('refuses run ids that would leave its directory', async () => {
    const store = new FsResultsStore(join(dir, 'ids'));
    for (const id of ['..', '.', 'a/b', '../x'])
      await expect(store.saveRun(runInfo(id, '2025-01-01T00:00:00.000Z'))).rejects.toThrow(/may only hold/);
  });
});

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContaminationIndex, MIN_CONTAINED_WORDS } from '../../src/data/decontaminate';
import { wordsOf } from '../../src/data/textKeys';
import { evalItems } from '../../src/data/evalSets';
import { loadShard } from '../../src/data/shard';
import { ShardCollection } from '../../src/data/shardCollection';
import { LabError } from '../../src/errors';
import { SAMPLE_SHARD_PATH } from '../../scripts/make-sample-shard';
import { sharedData } from '../sharedData';
import { blobOf, fileBlob, jsonl } from './files';

type Row = Record<string, string>;
const readJsonl = (path: string): Row[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const sample = readJsonl(SAMPLE_SHARD_PATH);
const gsmTrain = readJsonl(sharedData('gsm8k', 'train.jsonl'));
const gsmTest = readJsonl(sharedData('gsm8k', 'test.jsonl'));
const math500 = readJsonl(sharedData('math500', 'test.jsonl'));
const wordCount = (s: string) => s.split(/\s+/).length;

let evalIndex: ContaminationIndex;
beforeAll(async () => {
  evalIndex = new ContaminationIndex();
  for (const [path, name] of [
    [sharedData('gsm8k', 'test.jsonl'), 'gsm8k-test.jsonl'],
    [sharedData('math500', 'test.jsonl'), 'math500.jsonl'],
  ]) {
    const shard = await loadShard(await fileBlob(path), name);
    evalIndex.add(evalItems(shard.examples, name, shard.unit));
  }
});

async function cleanCollection(): Promise<ShardCollection> {
  const collection = new ShardCollection({ contamination: evalIndex });
  await collection.add(await fileBlob(SAMPLE_SHARD_PATH), 'sample.jsonl');
  await collection.add(blobOf(jsonl(gsmTrain.slice(0, 1000))), 'gsm8k-train-1k.jsonl');
  return collection;
}

describe('deduplication and decontamination find what was planted and nothing else', () => {
  it('the sample shard and 1,000 GSM8K train rows hold no duplicates and no test-set overlap', async () => {
    const collection = await cleanCollection();
    for (const { report } of collection.shards) {
      expect(report.duplicates.exact + report.duplicates.near).toBe(0);
      expect(report.contaminated.count).toBe(0);
      expect(report.rowsKept).toBe(report.rowsLoaded);
    }
    expect(collection.examples()).toHaveLength(1400);
  });

  it('planted exact, near and contaminated rows are each found, with the row they repeat or leak', async () => {
    const collection = await cleanCollection();
    const longTrain = gsmTrain
      .map((r, i) => ({ r, line: i + 1 }))
      .filter(({ r, line }) => line <= 1000 && wordCount(r.question + r.answer) > 120);
    const longTest = gsmTest.map((r, i) => ({ r, line: i + 1 })).filter(({ r }) => wordCount(r.question) > 60);
    const longMath = math500.filter((r) => wordCount(r.problem) > 60);
    const swapOneWord = (text: string) => text.replace(/\b(\w{4,})\b/, 'banana');
    const fresh = gsmTrain.slice(2000, 2010);
    const planted: { row: Row; expect: string }[] = [
      // Exact repeats of sample rows, differing only in case and spacing.
      ...[3, 77, 301].map((i) => ({
        row: { ...sample[i], query: `  ${sample[i].query.toUpperCase()}  ` },
        expect: `exact sample.jsonl ${i + 1}`,
      })),
      // Near repeats of long GSM8K train rows: one word replaced.
      ...longTrain.slice(0, 3).map(({ r, line }) => ({
        row: { query: swapOneWord(r.question), response: r.answer.replace(/<<[^>]*>>/g, '').replace(/#### (.*)$/, 'The answer is: $1') },
        expect: `near gsm8k-train-1k.jsonl ${line}`,
      })),
      // Test problems embedded in a rephrasing request.
      ...longTest.slice(0, 2).map(({ r, line }) => ({
        row: { query: `Rephrase this problem: ${r.question}`, response: 'Done.\nThe answer is: 1' },
        expect: `leak gsm8k-test.jsonl line ${line}`,
      })),
      ...longMath
        .slice(0, 2)
        .map((r) => ({ row: { query: r.problem, response: `${r.solution}\nThe answer is: ${r.answer}` }, expect: `leak ${r.unique_id}` })),
      // Clean rows, and one of them repeated inside the planted shard itself.
      ...fresh.map((r) => ({ row: { query: r.question, response: r.answer }, expect: 'kept' })),
      { row: { query: fresh[4].question, response: fresh[4].answer }, expect: 'exact planted.jsonl 15' }, // lines 11-20 are fresh
    ];
    const report = await collection.add(blobOf(jsonl(planted.map((p) => p.row))), 'planted.jsonl');
    const found = new Map<number, string>();
    for (const d of report.duplicates.rows) found.set(d.row, `${d.kind} ${d.of.shard} ${d.of.row}`);
    for (const c of report.contaminated.rows) found.set(c.row, `leak ${c.item.id}`);
    expect(planted.map((p, i) => found.get(i + 1) ?? 'kept')).toEqual(planted.map((p) => p.expect));
    expect(report.duplicates).toMatchObject({ exact: 4, near: 3, acrossShards: 6 });
    expect(report.contaminated.count).toBe(4);
    expect(report.rowsKept).toBe(10);
  });

  it('the n-gram length is configurable: a 12-word overlap is contamination at n=10 but not at the default 30', async () => {
    const problem = math500.find((r) => wordCount(r.problem) > 40)!;
    const excerpt = problem.problem.split(/\s+/).slice(0, 12).join(' ');
    const row = { query: `Unrelated start. ${excerpt} and then something else entirely.`, response: 'The answer is: 0' };
    for (const [n, expected] of [
      [10, 1],
      [30, 0],
    ] as const) {
      const index = new ContaminationIndex(n);
      index.add(evalItems((await loadShard(await fileBlob(sharedData('math500', 'test.jsonl')), 'm')).examples, 'm', 'line'));
      const report = await new ShardCollection({ contamination: index }).add(blobOf(jsonl([row])), 'one.jsonl');
      expect(report.contaminated.count).toBe(expected);
    }
  });

  it('a short test problem copied into a row is found: whole, or inside a longer prompt, whatever its case and punctuation', async () => {
    const short = gsmTest
      .map((r, i) => ({ r, line: i + 1 }))
      .filter(({ r }) => wordCount(r.question) < 30)
      .slice(0, 3);
    const rows = [
      { query: short[0].r.question, response: 'The answer is: 1' },
      {
        query: `Solve this, then check your work: ${short[1].r.question.toUpperCase().replace(/[.,?]/g, ' ')}`,
        response: 'The answer is: 2',
      },
      { query: 'Answer the next problem.', response: `${short[2].r.question}\nThe answer is: 3` },
    ];
    const report = await new ShardCollection({ contamination: evalIndex }).add(blobOf(jsonl(rows)), 'short-leaks.jsonl');
    expect(report.contaminated.rows.map((c) => c.item.id)).toEqual(short.map(({ line }) => `gsm8k-test.jsonl line ${line}`));
  });

  it(`a problem under ${MIN_CONTAINED_WORDS} words matches only a row whose problem is the same text, not its words inside other text`, async () => {
    const tiny = math500.find((r) => r.problem === 'Simplify $\\sqrt{242}$.')!;
    const rows = [
      { query: 'simplify  $\\sqrt{242}$.', response: 'The answer is: 11\\sqrt2' },
      {
        query: 'Find the perimeter of a square of area 242.',
        response: 'We simplify $\\sqrt{242}$ to $11\\sqrt2$.\nThe answer is: 44\\sqrt2',
      },
    ];
    const report = await new ShardCollection({ contamination: evalIndex }).add(blobOf(jsonl(rows)), 'tiny.jsonl');
    expect(report.contaminated.rows.map((c) => [c.row, c.item.id])).toEqual([[1, tiny.unique_id]]);
  });

  it('the whole GSM8K train set loses no row against GSM8K test and MATH-500: the short-problem rules add no false positives', async () => {
    const report = await new ShardCollection({ contamination: evalIndex, keepExamples: false }).add(
      await fileBlob(sharedData('gsm8k', 'train.jsonl')),
      'train.jsonl',
    );
    expect(report.rowsLoaded).toBe(7473);
    expect(report.contaminated.rows).toEqual([]);
  });

  it(`problems under ${MIN_CONTAINED_WORDS} words are counted, since only a verbatim copy can match them`, () => {
    expect(evalIndex.items).toHaveLength(1319 + 500);
    const tiny = [...gsmTest.map((r) => r.question), ...math500.map((r) => r.problem)].filter(
      (t) => wordsOf(t).length < MIN_CONTAINED_WORDS,
    );
    expect(tiny.length).toBeGreaterThan(0);
    expect(evalIndex.verbatimOnlyItems).toBe(tiny.length);
  });
});

describe('the collection only changes when a shard loads completely', () => {
  it('a file that is not a dataset is refused and the loaded shards stay as they were', async () => {
    const collection = await cleanCollection();
    await expect(collection.add(blobOf(new Uint8Array(100)), 'zeros.bin')).rejects.toBeInstanceOf(LabError);
    expect(collection.shards.map((s) => s.report.name)).toEqual(['sample.jsonl', 'gsm8k-train-1k.jsonl']);
    expect(collection.examples()).toHaveLength(1400);
  });

  it('a read that fails half-way leaves no trace: its rows are not remembered for deduplication', async () => {
    const collection = new ShardCollection();
    const rows = gsmTrain.slice(0, 200);
    const bytes = new TextEncoder().encode(jsonl(rows));
    const failing = {
      size: bytes.length,
      slice: (start?: number, end?: number) => new Blob([bytes.slice(start, end)]),
      stream: () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(bytes.slice(0, bytes.length / 2));
            controller.error(new Error('the file was changed on disk while it was being read'));
          },
        }),
    } as unknown as Blob;
    await expect(collection.add(failing, 'flaky.jsonl')).rejects.toThrow(/changed on disk/);
    expect(collection.shards).toHaveLength(0);
    const report = await collection.add(blobOf(jsonl(rows)), 'retry.jsonl');
    expect(report.duplicates.exact + report.duplicates.near).toBe(0);
    expect(report.rowsKept).toBe(200);
  });

  it('the same shard name twice is refused', async () => {
    const collection = await cleanCollection();
    await expect(collection.add(await fileBlob(SAMPLE_SHARD_PATH), 'sample.jsonl')).rejects.toThrow(/already loaded/);
  });
});

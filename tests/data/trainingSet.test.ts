import { describe, expect, it } from 'vitest';
import type { Example } from '../../src/data/example';
import { buildTrainingSet, type TrainingSetOptions } from '../../src/data/trainingSet';
import type { PackedRow } from '../../src/data/packing';
import { WordTokenizer } from './wordTokenizer';

const examples: Example[] = Array.from({ length: 200 }, (_, i) => ({
  kind: 'sft',
  prompt: `problem ${i} ${'word '.repeat(i % 9)}`,
  response: `solution ${i} The answer is: ${i}`,
  answer: String(i),
  level: 1 + (i % 5),
  shard: 'shard.jsonl',
  row: i + 1,
}));

const tok = new WordTokenizer();
/** Which example a packed segment holds, read back from its "solution <i>" response. */
const exampleIndex = (ids: Int32Array) => Number(/### Response: solution (\d+)/.exec(tok.decode(ids))![1]);

/** The set with its packed rows gathered: the stages' rows in order, then the held-out rows. */
function build(options: TrainingSetOptions) {
  const rows = { train: [] as PackedRow[], validation: [] as PackedRow[] };
  const set = buildTrainingSet(examples, options, (row, split) => rows[split].push(row));
  return { ...set, rows };
}

/** The example indices in a stage's packed rows, in order. */
function rowsOf(set: ReturnType<typeof build>, stage: number): number[] {
  const rows: number[] = [];
  const first = set.stages.slice(0, stage).reduce((n, s) => n + s.rows, 0);
  for (const row of set.rows.train.slice(first, first + set.stages[stage].rows)) {
    for (let s = 1; s <= row.segments; s++) {
      const at = row.segmentIds.indexOf(s);
      rows.push(exampleIndex(row.tokens.subarray(at, row.segmentIds.lastIndexOf(s) + 1)));
    }
  }
  return rows;
}

describe('building a training set', () => {
  const options = { tokenizer: tok, special: tok.special, padId: tok.pad, seed: 11, seqLen: 256, validationFraction: 0.1 };

  it('the validation hold-out is the same whatever subset size is trained on, and never overlaps training', () => {
    const small = build({ ...options, subsetSize: 50 });
    const large = build({ ...options, subsetSize: 100 });
    expect(small.rows.validation).toEqual(large.rows.validation);
    expect(small.validation.examples).toBe(20);
    expect(small.stages[0].examples).toBe(50);
    expect(rowsOf(large, 0).slice(0, 50)).toEqual(rowsOf(small, 0));
  });

  it('curriculum stages come in the asked order and split by level', () => {
    const set = build({ ...options, stages: { rule: { by: 'level', hardFromLevel: 4 }, order: ['normal', 'hard'] } });
    expect(set.stages.map((s) => s.name)).toEqual(['normal', 'hard']);
    for (const i of rowsOf(set, 1)) expect(examples[i].level).toBeGreaterThanOrEqual(4);
    for (const i of rowsOf(set, 0)) expect(examples[i].level).toBeLessThan(4);
    expect(set.stages[0].examples + set.stages[1].examples).toBe(180);
  });

  it('examples longer than the row are truncated, or dropped when the prompt alone fills it, and counted', () => {
    // Template prompts here run 21-29 words, whole examples 29-37 tokens.
    const set = build({ ...options, seqLen: 30 });
    expect(set.truncated).toBeGreaterThan(0);
    expect(set.dropped).toBeGreaterThan(0);
    expect(set.stages[0].examples + set.validation.examples + set.dropped).toBe(200);
    for (const row of set.rows.train) expect(row.tokens).toHaveLength(30);
  });
});

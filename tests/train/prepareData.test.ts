import { describe, expect, it } from 'vitest';
import { rowsIn, storiesVocabulary } from './fixtures';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';
import { prepareTrainingData } from '../../src/train/prepareData';
import type { Example } from '../../src/data/example';

const tokenizer = new Tokenizer(vocabFromGguf(await storiesVocabulary()));

/** 30 problems, levels 1..5 in turn; the response names the level's difficulty so a row shows its stage. */
const examples: Example[] = Array.from({ length: 30 }, (_, i) => {
  const level = (i % 5) + 1;
  return { kind: 'sft', prompt: `Problem ${i}`, response: level >= 4 ? 'The dog ran.' : 'The cat sat.', level, shard: 'math', row: i };
});

const decodeRows = (rows: readonly { tokens: Int32Array }[]) => rows.map((r) => tokenizer.decode(Array.from(r.tokens)));

describe('training data with a curriculum', () => {
  const curriculum = { stages: ['normal', 'hard'], rule: { by: 'level' as const, hardFromLevel: 4 } };
  const data = prepareTrainingData(examples, tokenizer, { seqLen: 192, seed: 4, validationFraction: 0.1, curriculum });

  it('packs each stage on its own, normal rows first, and says where each stage is', () => {
    expect(data.stages!.map((s) => s.name)).toEqual(['normal', 'hard']);
    expect(data.stages!.reduce((n, s) => n + s.rows, 0)).toBe(data.train.length);
    expect(data.stages!.reduce((n, s) => n + s.examples, 0)).toBe(data.trainExamples);
    const normalRows = data.stages![0].rows;
    const text = decodeRows(rowsIn(data.train));
    for (const row of text.slice(0, normalRows)) expect(row).not.toContain('dog');
    for (const row of text.slice(normalRows)) expect(row).not.toContain('cat');
    // 27 training examples, 3 held out: levels 4-5 are 2 in 5.
    expect(data.stages![1].examples).toBeGreaterThan(6);
    expect(data.stages![0].examples).toBeGreaterThan(data.stages![1].examples);
  });

  it('lists the stages in the order given', () => {
    const reversed = prepareTrainingData(examples, tokenizer, {
      seqLen: 192,
      seed: 4,
      validationFraction: 0.1,
      curriculum: { ...curriculum, stages: ['hard', 'normal'] },
    });
    expect(reversed.stages!.map((s) => s.name)).toEqual(['hard', 'normal']);
    expect(decodeRows(rowsIn(reversed.train).slice(0, reversed.stages![0].rows)).join(' ')).not.toContain('cat');
  });

  it('has no stages without a curriculum (the trainer then shuffles all rows together)', () => {
    const plain = prepareTrainingData(examples, tokenizer, { seqLen: 192, seed: 4, validationFraction: 0.1 });
    expect(plain.stages).toBeUndefined();
    expect(plain.trainExamples).toBe(data.trainExamples);
  });
});

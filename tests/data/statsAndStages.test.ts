import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { groupByStage, stageOf } from '../../src/data/curriculum';
import { loadShard } from '../../src/data/shard';
import { datasetStats, lengthHistogram } from '../../src/data/datasetStats';
import { tokenizeExample } from '../../src/data/tokenize';
import { SAMPLE_SHARD_PATH, sampleShardText } from '../../scripts/make-sample-shard';
import { sharedData } from '../sharedData';
import { blobOf, fileBlob, jsonl } from './files';
import { WordTokenizer } from './wordTokenizer';

const math500 = async () => loadShard(await fileBlob(sharedData('math500', 'test.jsonl')), 'math500.jsonl');

describe('dataset statistics', () => {
  it('MATH-500: rows per subject and level, every row with an answer, token lengths from the given tokenizer', async () => {
    const shard = await math500();
    const raw = readFileSync(sharedData('math500', 'test.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const tok = new WordTokenizer();
    const stats = datasetStats(shard.examples, { tokenizer: tok, special: tok.special });
    expect(stats.rows).toBe(500);
    expect(stats.withAnswer).toBe(500);
    expect(stats.perShard).toEqual({ 'math500.jsonl': 500 });
    const bySubject: Record<string, number> = {};
    const byLevel: Record<string, number> = {};
    for (const r of raw) {
      bySubject[r.subject] = (bySubject[r.subject] ?? 0) + 1;
      byLevel[String(r.level)] = (byLevel[String(r.level)] ?? 0) + 1;
    }
    expect(stats.perSource).toEqual(bySubject);
    expect(stats.levels).toEqual(byLevel);
    const h = stats.tokenLengths!;
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(500);
    const lengths = shard.examples.map((e) => tokenizeExample(e, tok, tok.special).tokens.length);
    expect(h.max).toBe(Math.max(...lengths));
    expect(h.mean).toBeCloseTo(lengths.reduce((a, b) => a + b, 0) / 500, 9);
  });

  it('a histogram puts each length in the bin whose lower edge it reaches', () => {
    const h = lengthHistogram([0, 127, 128, 300, 5000], [0, 128, 256, 512]);
    expect(h.counts).toEqual([2, 1, 1, 1]);
    expect([h.median, h.max]).toEqual([128, 5000]);
  });

  it('GSM8K rows have no level; answer presence counts rows whose answer was extracted', async () => {
    const rows = [
      { question: 'q1', answer: 'a\n#### 5' },
      { question: 'q2', answer: 'no marker here' },
    ];
    const stats = datasetStats((await loadShard(blobOf(jsonl(rows)), 'g.jsonl')).examples);
    expect(stats).toMatchObject({ rows: 2, withAnswer: 1, levels: { unknown: 2 } });
    expect(stats.tokenLengths).toBeUndefined();
  });
});

describe('curriculum stages', () => {
  it('by level: MATH-500 levels 4-5 are "hard", the rest "normal", listed normal first', async () => {
    const shard = await math500();
    const groups = groupByStage(shard.examples, (e) => stageOf(e, { by: 'level', hardFromLevel: 4 }));
    const hard = shard.examples.filter((e) => e.level! >= 4).length;
    expect([...groups.keys()]).toEqual(['normal', 'hard']);
    expect(groups.get('hard')).toHaveLength(hard);
    expect(groups.get('normal')).toHaveLength(500 - hard);
  });

  it('by source, and by a mapped field with a fallback', async () => {
    const rows = [
      { query: 'a', response: 'b', type: 'MATH_FOBAR', difficulty: 'hard' },
      { query: 'c', response: 'd', type: 'GSM_AnsAug' },
    ];
    const shard = await loadShard(blobOf(jsonl(rows)), 'mm.jsonl', { fields: { stage: 'difficulty' } });
    expect(shard.examples.map((e) => stageOf(e, { by: 'source', hardSources: ['MATH_FOBAR'] }))).toEqual(['hard', 'normal']);
    expect(shard.examples.map((e) => stageOf(e, { by: 'field', fallback: 'normal' }))).toEqual(['hard', 'normal']);
  });
});

describe('the embedded sample shard', () => {
  it('the committed public/samples/shard.jsonl is exactly what scripts/make-sample-shard.ts writes', () => {
    expect(readFileSync(SAMPLE_SHARD_PATH, 'utf8')).toBe(sampleShardText());
  });

  it('loads as MetaMathQA: 400 rows, none bad, every response ending "The answer is: <its answer>"', async () => {
    const shard = await loadShard(await fileBlob(SAMPLE_SHARD_PATH), 'shard.jsonl');
    expect([shard.schema, shard.rowsLoaded, shard.badCount]).toEqual(['metamath', 400, 0]);
    for (const e of shard.examples) expect(e.response.endsWith(`The answer is: ${e.answer}`)).toBe(true);
    expect(Object.keys(datasetStats(shard.examples).perSource).length).toBeGreaterThanOrEqual(10);
  });

  it('the computed answers are right: word problems and linear equations checked by re-solving the text', async () => {
    const shard = await loadShard(await fileBlob(SAMPLE_SHARD_PATH), 'shard.jsonl');
    let checked = 0;
    for (const e of shard.examples) {
      const linear = /^Solve for \$x\$: \$(\d+)x ([+-]) (\d+) = (-?\d+)\$\.$/.exec(e.prompt);
      if (linear) {
        const [a, sign, b, c] = [Number(linear[1]), linear[2], Number(linear[3]), Number(linear[4])];
        expect(Number(e.answer)).toBe((c - (sign === '+' ? b : -b)) / a);
        checked++;
      }
      const remainder = /^What is the remainder when (\d+) is divided by (\d+)\?$/.exec(e.prompt);
      if (remainder) {
        expect(Number(e.answer)).toBe(Number(remainder[1]) % Number(remainder[2]));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });
});

import { describe, expect, it } from 'vitest';
import { loadShard } from '../../src/data/shard';
import { lastBoxed } from '../../src/data/answers';
import { ANSWER_PREFIX } from '../../src/data/sftTemplate';
import { sharedData } from '../sharedData';
import { fileBlob } from './files';
import { readFileSync } from 'node:fs';

describe('the real public datasets load with the right schema, row count and answers', () => {
  it('GSM8K train: 7,473 rows, each with its #### answer moved to "The answer is:"', async () => {
    const shard = await loadShard(await fileBlob(sharedData('gsm8k', 'train.jsonl')), 'train.jsonl');
    expect(shard.schema).toBe('gsm8k');
    expect(shard.rowsLoaded).toBe(7473);
    expect(shard.badCount).toBe(0);
    const raw = readFileSync(sharedData('gsm8k', 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    shard.examples.forEach((e, i) => {
      const marked = /####\s*(.+)\s*$/.exec(raw[i].answer)![1].replace(/,/g, '');
      expect(e.answer).toBe(marked);
      expect(e.response.endsWith(`${ANSWER_PREFIX}${marked}`)).toBe(true);
      expect(e.response).not.toContain('<<');
      expect(e.row).toBe(i + 1);
    });
  });

  it('GSM8K test: 1,319 rows, the first answer is 18', async () => {
    const shard = await loadShard(await fileBlob(sharedData('gsm8k', 'test.jsonl')), 'test.jsonl');
    expect(shard.schema).toBe('gsm8k');
    expect(shard.rowsLoaded).toBe(1319);
    expect(shard.examples[0].answer).toBe('18');
    expect(shard.examples.every((e) => e.answer !== undefined && /^-?[\d.]+$/.test(e.answer))).toBe(true);
  });

  it('MATH-500: 500 rows, levels 1-5, and the last \\boxed{} of each solution equals its answer field', async () => {
    const shard = await loadShard(await fileBlob(sharedData('math500', 'test.jsonl')), 'test.jsonl');
    expect(shard.schema).toBe('math500');
    expect(shard.rowsLoaded).toBe(500);
    expect(new Set(shard.examples.map((e) => e.level))).toEqual(new Set([1, 2, 3, 4, 5]));
    const raw = readFileSync(sharedData('math500', 'test.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const differing = raw.filter((r) => lastBoxed(r.solution) !== r.answer).map((r) => r.unique_id);
    expect(differing).toEqual([]);
    expect(shard.examples.map((e) => e.answer)).toEqual(raw.map((r) => r.answer));
  });
});

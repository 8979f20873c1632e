import { describe, expect, it } from 'vitest';
import type { Example } from '../../src/data/example';
import { batchesOf, packExamples } from '../../src/data/packing';
import { doublingSizes, nestedSubsets, seededShuffle, trainValidationSplit } from '../../src/data/sampling';
import { sftTrainPrompt } from '../../src/data/sftTemplate';
import { tokenizeExample, tokenizeExamples } from '../../src/data/tokenize';
import { WordTokenizer } from './wordTokenizer';

const sft = (prompt: string, response: string, row = 1): Example => ({ kind: 'sft', prompt, response, shard: 's.jsonl', row });
const text = (body: string, row = 1): Example => ({ kind: 'text', prompt: '', response: body, shard: 't.jsonl', row });

describe('tokenizing examples for training', () => {
  it('an SFT example is BOS, the template prompt, the response and EOS; only the response and EOS are targets', () => {
    const tok = new WordTokenizer();
    const t = tokenizeExample(sft('What is 2 + 2?', 'It is 4.\nThe answer is: 4'), tok, tok.special);
    const promptLength = tok.encode(sftTrainPrompt('What is 2 + 2?')).length;
    expect(t.tokens[0]).toBe(1);
    expect(t.tokens[t.tokens.length - 1]).toBe(2);
    expect(tok.decode(t.tokens.subarray(1, 1 + promptLength))).toBe(sftTrainPrompt('What is 2 + 2?').split(/\s+/).join(' '));
    expect(tok.decode(t.tokens.subarray(1 + promptLength, t.tokens.length - 1))).toBe('It is 4. The answer is: 4');
    expect(Array.from(t.targets)).toEqual([
      ...new Array(1 + promptLength).fill(0),
      ...new Array(t.tokens.length - 1 - promptLength).fill(1),
    ]);
  });

  it('where a token merges across the prompt/response boundary, the loss starts at that token', () => {
    // Characters as tokens, except that ": " is one token: the prompt ends with ":", the whole text with ": a".
    const chars = {
      encode: (t: string) => (t.match(/: |[\s\S]/g) ?? []).map((c) => (c === ': ' ? 1000 : c.charCodeAt(0))),
    };
    const t = tokenizeExample(sft('q', 'a'), chars, { bos: 1, eos: 2 });
    const prompt = sftTrainPrompt('q');
    const merged = 1 + prompt.length - 1; // BOS, then the prompt's characters up to its final ":"
    expect(t.tokens[merged]).toBe(1000);
    expect(Array.from(t.targets.subarray(merged - 1, merged + 3))).toEqual([0, 1, 1, 1]);
    expect(t.targets.indexOf(1)).toBe(merged);
  });

  it('the tokenizer is asked for no special tokens: BOS and EOS appear once', () => {
    const options: unknown[] = [];
    const tok = { encode: (text: string, o?: { addSpecial?: boolean }) => (options.push(o), text.split(' ').map(() => 7)) };
    const t = tokenizeExample(sft('q', 'a'), tok, { bos: 1, eos: 2 });
    expect(options.every((o) => (o as { addSpecial?: boolean }).addSpecial === false)).toBe(true);
    expect(Array.from(t.tokens).filter((id) => id === 1 || id === 2)).toEqual([1, 2]);
  });

  it('a text example trains on every token after BOS', () => {
    const tok = new WordTokenizer();
    const t = tokenizeExample(text('one two three'), tok, tok.special);
    expect(Array.from(t.tokens)).toEqual([1, 3, 4, 5, 2]);
    expect(Array.from(t.targets)).toEqual([0, 1, 1, 1, 1]);
  });

  it('beyond maxTokens an example is truncated (keeping the prompt), or dropped when asked or when only prompt fits', () => {
    const tok = new WordTokenizer();
    const long = sft('short question', Array.from({ length: 100 }, (_, i) => `w${i}`).join(' '));
    const promptOnly = sft(Array.from({ length: 100 }, (_, i) => `p${i}`).join(' '), 'answer');
    const fits = sft('q', 'a');
    const cut = tokenizeExamples([long, promptOnly, fits], tok, tok.special, { maxTokens: 64 });
    expect(cut.truncated).toBe(1);
    expect(cut.dropped).toBe(1);
    expect(cut.examples.map((e) => e.tokens.length)).toEqual([64, tokenizeExample(fits, tok, tok.special).tokens.length]);
    expect(cut.examples[0].targets[63]).toBe(1);
    const dropped = tokenizeExamples([long, fits], tok, tok.special, { maxTokens: 64, overflow: 'drop' });
    expect([dropped.examples.length, dropped.dropped, dropped.truncated]).toEqual([1, 1, 0]);
  });

  it('the default limit is 2048 tokens', () => {
    const tok = new WordTokenizer();
    const words = (n: number) => Array.from({ length: n }, (_, i) => `x${i}`).join(' ');
    const result = tokenizeExamples([text(words(2046)), text(words(2047))], tok, tok.special);
    expect(result.examples.map((e) => e.tokens.length)).toEqual([2048, 2048]);
    expect(result.truncated).toBe(1);
  });
});

describe('packing into fixed-length rows', () => {
  const tok = new WordTokenizer();
  const examples = Array.from({ length: 30 }, (_, i) => sft(`q${i} ${'x '.repeat(i % 7)}`, `r${i} ${'y '.repeat((i * 5) % 11)}`, i + 1));
  const tokenized = tokenizeExamples(examples, tok, tok.special).examples;
  const seqLen = 96;
  const packed = packExamples(tokenized, seqLen, tok.pad);

  it('every example appears once, whole and in order, as one segment whose positions restart at 0', () => {
    const recovered: number[][] = [];
    const recoveredTargets: number[][] = [];
    for (const row of packed.rows) {
      for (let s = 1; s <= row.segments; s++) {
        const at = row.segmentIds.indexOf(s);
        const end = row.segmentIds.lastIndexOf(s) + 1;
        expect(Array.from(row.positions.subarray(at, end))).toEqual(Array.from({ length: end - at }, (_, p) => p));
        recovered.push(Array.from(row.tokens.subarray(at, end)));
        recoveredTargets.push(Array.from(row.targets.subarray(at, end)));
      }
    }
    expect(recovered).toEqual(tokenized.map((t) => Array.from(t.tokens)));
    expect(recoveredTargets).toEqual(tokenized.map((t) => Array.from(t.targets)));
  });

  it('padding has segment id 0, the pad token, and no loss', () => {
    for (const row of packed.rows) {
      expect(row.tokens).toHaveLength(seqLen);
      row.segmentIds.forEach((id, i) => {
        if (id === 0) expect([row.tokens[i], row.targets[i]]).toEqual([tok.pad, 0]);
      });
    }
    const real = tokenized.reduce((n, t) => n + t.tokens.length, 0);
    expect(packed.utilisation).toBeCloseTo(real / (packed.rows.length * seqLen), 12);
    expect(packed.rows.length).toBeLessThan(tokenized.length);
  });

  it('an example longer than the row is an error naming it', () => {
    const big = tokenizeExamples([text('a '.repeat(200), 7)], tok, tok.special).examples;
    expect(() => packExamples(big, 64, 0)).toThrow(/t\.jsonl row 7\) has 202 tokens/);
  });

  it('batches group consecutive rows', () => {
    expect(batchesOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});

describe('seeded shuffles, splits and nested subsets', () => {
  const items = Array.from({ length: 1000 }, (_, i) => i);

  it('a shuffle is a permutation that repeats for a seed and differs between seeds', () => {
    const seed = 42;
    console.log(`shuffle seed ${seed}`);
    const a = seededShuffle(items, seed);
    expect(a).toEqual(seededShuffle(items, seed));
    expect(a).not.toEqual(seededShuffle(items, seed + 1));
    expect(a.slice().sort((x, y) => x - y)).toEqual(items);
    expect(a).not.toEqual(items);
  });

  it('a train/validation split is disjoint, covers everything and holds out the asked fraction', () => {
    const { train, validation } = trainValidationSplit(items, 0.05, 7);
    expect(validation).toHaveLength(50);
    expect(train).toHaveLength(950);
    expect(new Set([...train, ...validation]).size).toBe(1000);
    expect(trainValidationSplit(items, 0.05, 7)).toEqual({ train, validation });
  });

  it('nested subsets are prefixes of one shuffle: 100 ⊂ 200 ⊂ 400 ⊂ 800 ⊂ 1000', () => {
    const sizes = doublingSizes(100, 1000);
    expect(sizes).toEqual([100, 200, 400, 800, 1000]);
    const subsets = nestedSubsets(items, sizes, 3);
    subsets.forEach((subset, i) => {
      expect(subset).toHaveLength(sizes[i]);
      if (i > 0) expect(subset.slice(0, sizes[i - 1])).toEqual(subsets[i - 1]);
    });
    expect(() => nestedSubsets(items, [2000], 3)).toThrow(/subset of 2000 asked from 1000/);
  });
});

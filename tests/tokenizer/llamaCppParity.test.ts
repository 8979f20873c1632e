import { openAsBlob } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLlama, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import { readGguf } from '../../src/formats/gguf';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';
import { sharedData } from '../sharedData';
import { loadTokenizer, vocabPath, type VocabName } from './llamaCppModels';
import { HAND_WRITTEN, mathSamples, randomStrings, WITH_BOM } from './parityStrings';

/**
 * Our tokenizer against llama.cpp itself (node-llama-cpp 3.21.1, CPU, vocab-only loads) on strings beyond
 * llama.cpp's own vectors: hand-written unicode/digits/whitespace/code/LaTeX, real GSM8K and MATH-500 text,
 * and seeded random strings. Encoding is compared with and without special-token parsing; decoding with and
 * without special-token text.
 */
const SEED = 20240611;
const STRINGS = [...HAND_WRITTEN, ...mathSamples(8), ...randomStrings(SEED, 150)];
const CASES: [string, () => string, () => Promise<Tokenizer>][] = [
  ...(['llama-spm', 'gpt-2', 'deepseek-llm', 'llama-bpe', 'qwen2'] as VocabName[]).map(
    (name) => [name, () => vocabPath(name), () => loadTokenizer(name)] as [string, () => string, () => Promise<Tokenizer>],
  ),
  [
    'stories260K',
    () => sharedData('tiny-models', 'stories260K.gguf'),
    async () => new Tokenizer(vocabFromGguf(await readGguf(await openAsBlob(sharedData('tiny-models', 'stories260K.gguf'))))),
  ],
];

let llama: Llama;
beforeAll(async () => {
  console.log(`[tokenizer parity] random strings seed ${SEED}`);
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never, logger: () => {} });
});
afterAll(async () => {
  await llama?.dispose();
});

describe.each(CASES)('%s agrees with llama.cpp', (_name, path, load) => {
  let model: LlamaModel;
  let tokenizer: Tokenizer;
  beforeAll(async () => {
    model = await llama.loadModel({ modelPath: path(), vocabOnly: true });
    tokenizer = await load();
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('on special-token ids and BOS/EOS flags', () => {
    expect(tokenizer.bosId).toBe(model.tokens.bos);
    expect(tokenizer.eosId).toBe(model.tokens.eos);
    expect(tokenizer.eotId).toBe(model.tokens.eot);
    expect(tokenizer.vocab.addBos).toBe(model.tokens.shouldPrependBosToken);
    expect(tokenizer.vocab.addEos).toBe(model.tokens.shouldAppendEosToken);
  });

  it.each([false, true])('on the ids of every test string (parse special tokens: %s)', (parseSpecial) => {
    const mismatches = STRINGS.filter((s) => {
      const ours = tokenizer.encode(s, { addSpecial: false, parseSpecial });
      return JSON.stringify(ours) !== JSON.stringify(model.tokenize(s, parseSpecial));
    });
    expect(mismatches).toEqual([]);
  });

  it.each([false, true])('on the decoded text of every test string (special tokens shown: %s)', (special) => {
    const mismatches = STRINGS.filter((s) => {
      const ids = tokenizer.encode(s, { addSpecial: true, parseSpecial: true });
      return tokenizer.decode(ids, { unparseSpecial: special }) !== model.detokenize(ids as Token[], special);
    });
    expect(mismatches).toEqual([]);
  });

  it('on the text of every single token (but those starting with U+FEFF, see below)', () => {
    const mismatches: number[] = [];
    for (let id = 0; id < tokenizer.size; id++) {
      const theirs = model.detokenize([id as Token], true);
      if (!theirs.startsWith('\ufeff') && tokenizer.decode([id], { unparseSpecial: true }) !== theirs) mismatches.push(id);
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
  });
});

/**
 * GGUF strings may begin with U+FEFF (Llama 2's token 30143 is "\ufeff"): the reader must keep it, or that token
 * reads as "" and text with a BOM character falls back to bytes.
 */
describe('llama-spm with U+FEFF agrees with llama.cpp', () => {
  let model: LlamaModel;
  let tokenizer: Tokenizer;
  beforeAll(async () => {
    model = await llama.loadModel({ modelPath: vocabPath('llama-spm'), vocabOnly: true });
    tokenizer = await loadTokenizer('llama-spm');
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('on the ids of text containing U+FEFF', () => {
    for (const s of WITH_BOM) expect(tokenizer.encode(s, { addSpecial: false })).toEqual(model.tokenize(s));
  });

  it('on the text of the U+FEFF token', () => {
    expect(tokenizer.decode([30143])).toBe(model.detokenize([30143 as Token]));
  });
});

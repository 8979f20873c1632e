import { describe, expect, it } from 'vitest';
import { cleanUpSpaces, formatVocabTestOutput, parseVocabTestInput } from '../../src/tokenizer';
import { loadTokenizer, vocabVectors, type VocabName } from './llamaCppModels';

/**
 * llama.cpp's own tokenizer test vectors: every string of each `.inp` file, encoded without BOS/EOS, must give
 * exactly the ids of the matching `.out` line. The first three are the vocabularies in ../shared/data; Llama 3
 * ("llama-bpe") and Qwen2 come from llama.cpp's source tree in the pinned node-llama-cpp package.
 */
const VOCABS: [VocabName, string, number][] = [
  ['llama-spm', 'SentencePiece (Llama 2, Mistral)', 46],
  ['gpt-2', 'byte-level BPE, GPT-2 split', 46],
  ['deepseek-llm', 'byte-level BPE, DeepSeek LLM split', 46],
  ['llama-bpe', 'byte-level BPE, Llama 3 split', 46],
  ['qwen2', 'byte-level BPE, Qwen2 split', 46],
];

describe.each(VOCABS)('llama.cpp vectors for %s (%s)', (name, _kind, count) => {
  it(`has ${count} test strings, one expected line each`, () => {
    const { inp, out } = vocabVectors(name);
    expect(parseVocabTestInput(inp)).toHaveLength(count);
    expect(out.split('\n').slice(0, -1)).toHaveLength(count);
  });

  it('encodes every test string to the expected ids', async () => {
    const tokenizer = await loadTokenizer(name);
    const { inp, out } = vocabVectors(name);
    const strings = parseVocabTestInput(inp);
    const expected = out.split('\n');
    const mismatches = strings
      .map((s, i) => ({ s, got: formatVocabTestOutput([tokenizer.encode(s, { addSpecial: false })]).trimEnd(), want: expected[i] }))
      .filter((r) => r.got !== r.want)
      .map((r) => `${JSON.stringify(r.s)}: got "${r.got}", want "${r.want}"`);
    expect(mismatches).toEqual([]);
  });

  it('decodes every test string back to its exact bytes', async () => {
    const tokenizer = await loadTokenizer(name);
    const strings = parseVocabTestInput(vocabVectors(name).inp);
    const bad = strings.filter((s) => tokenizer.decode(tokenizer.encode(s, { addSpecial: false }), { cleanUpSpaces: false }) !== s);
    expect(bad).toEqual([]);
  });

  it('decodes with the space clean-up llama.cpp applies to this vocabulary', async () => {
    const tokenizer = await loadTokenizer(name);
    const strings = parseVocabTestInput(vocabVectors(name).inp);
    const expected = (s: string) => (tokenizer.cleanSpaces ? cleanUpSpaces(s) : s);
    const bad = strings.filter((s) => tokenizer.decode(tokenizer.encode(s, { addSpecial: false })) !== expected(s));
    expect(bad).toEqual([]);
  });
});

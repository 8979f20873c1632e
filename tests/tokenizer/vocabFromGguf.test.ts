import { describe, expect, it } from 'vitest';
import type { GgufFile, GgufValue } from '../../src/formats/gguf';
import { LabError } from '../../src/errors';
import { vocabFromGguf } from '../../src/tokenizer';

/** A GGUF file as the reader returns it, holding only this metadata. */
function gguf(metadata: Record<string, GgufValue>): GgufFile {
  return {
    version: 3,
    metadata: new Map(Object.entries(metadata)),
    metadataTypes: new Map(),
    tensors: [],
    alignment: 32,
    dataOffset: 0,
    byteLength: 0,
  };
}

const TOKENS = ['<unk>', '<s>', '</s>', '▁a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
const llama = (extra: Record<string, GgufValue> = {}) =>
  gguf({
    'tokenizer.ggml.model': 'llama',
    'tokenizer.ggml.tokens': TOKENS,
    'tokenizer.ggml.scores': new Float32Array(TOKENS.length),
    ...extra,
  });
const gpt2 = (extra: Record<string, GgufValue> = {}) =>
  gguf({ 'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.tokens': TOKENS, 'tokenizer.ggml.merges': ['b c'], ...extra });

describe('vocabFromGguf', () => {
  it("gives a SentencePiece vocabulary llama.cpp's defaults: BOS 1, EOS 2, UNK 0, BOS added, space prefix", () => {
    const v = vocabFromGguf(llama());
    expect(v).toMatchObject({ model: 'llama', bosId: 1, eosId: 2, unkId: 0, addBos: true, addEos: false, addSpacePrefix: true });
  });

  it('gives a byte-level BPE vocabulary BOS = EOS = 11, no space prefix, and BOS only for pre-tokenizers that add it', () => {
    expect(vocabFromGguf(gpt2({ 'tokenizer.ggml.pre': 'qwen2' }))).toMatchObject({
      bosId: 11,
      eosId: 11,
      unkId: null,
      addBos: false,
      addSpacePrefix: false,
    });
    expect(vocabFromGguf(gpt2({ 'tokenizer.ggml.pre': 'llama-bpe' })).addBos).toBe(true);
    expect(vocabFromGguf(gpt2()).pre).toBe('default');
  });

  it('takes ids and flags from the file when it names them, ignoring an id outside the vocabulary', () => {
    const v = vocabFromGguf(
      llama({
        'tokenizer.ggml.bos_token_id': 5,
        'tokenizer.ggml.eos_token_id': 999,
        'tokenizer.ggml.padding_token_id': 0,
        'tokenizer.ggml.add_bos_token': false,
        'tokenizer.ggml.add_eos_token': true,
        'tokenizer.ggml.add_space_prefix': false,
      }),
    );
    expect(v).toMatchObject({ bosId: 5, eosId: 2, padId: 0, addBos: false, addEos: true, addSpacePrefix: false });
  });

  it.each<[string, GgufFile, RegExp]>([
    ['no tokenizer model', gguf({}), /^m\.gguf: GGUF metadata: metadata key "tokenizer\.ggml\.model" is missing/],
    [
      'an unsupported tokenizer model',
      llama({ 'tokenizer.ggml.model': 'bert' }),
      /^m\.gguf: tokenizer\.ggml\.model: tokenizer model "bert" is not supported/,
    ],
    [
      'an unknown pre-tokenizer',
      gpt2({ 'tokenizer.ggml.pre': 'mystery' }),
      /^m\.gguf: tokenizer\.ggml\.pre: pre-tokenizer "mystery" is not supported/,
    ],
    ['no tokens', gguf({ 'tokenizer.ggml.model': 'llama' }), /"tokenizer\.ggml\.tokens" is missing/],
    [
      'tokens of the wrong type',
      llama({ 'tokenizer.ggml.tokens': new Int32Array(3) }),
      /"tokenizer\.ggml\.tokens" should be an array of strings/,
    ],
    [
      'scores for fewer tokens',
      llama({ 'tokenizer.ggml.scores': new Float32Array(3) }),
      /^m\.gguf: tokenizer\.ggml\.scores: 3 scores for 13 tokens/,
    ],
    [
      'token types for more tokens',
      llama({ 'tokenizer.ggml.token_type': new Int32Array(20) }),
      /^m\.gguf: tokenizer\.ggml\.token_type: 20 token types for 13 tokens/,
    ],
    [
      'a BPE vocabulary without merges',
      gguf({ 'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.tokens': TOKENS }),
      /"tokenizer\.ggml\.merges" is missing/,
    ],
  ])('names the file and field for %s', (_what, file, message) => {
    const read = () => vocabFromGguf(file, 'm.gguf');
    expect(read).toThrow(LabError);
    expect(read).toThrow(message);
  });
});

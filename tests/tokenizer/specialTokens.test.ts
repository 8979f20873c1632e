import { describe, expect, it } from 'vitest';
import { Tokenizer, TokenType } from '../../src/tokenizer';
import { byteLevelChar } from '../../src/tokenizer/byteLevel';
import { handVocab } from './handVocab';

const BYTES: [string][] = Array.from({ length: 256 }, (_, b) => [byteLevelChar(b)]);
const IM_START = 256;
const IM_END = 257;
const TOOL = 258;
const IM = 259;

function chatVocab(extra = {}) {
  return new Tokenizer(
    handVocab(
      'gpt2',
      [
        ...BYTES,
        ['<|im_start|>', 0, TokenType.Control],
        ['<|im_end|>', 0, TokenType.Normal],
        ['<tool>', 0, TokenType.UserDefined],
        ['<|im', 0, TokenType.Control],
      ],
      extra,
    ),
  );
}

describe('special tokens', () => {
  it('are plain text unless parsing them is allowed', () => {
    const t = chatVocab();
    expect(t.encode('<|im_start|>', { addSpecial: false })).not.toContain(IM_START);
    expect(t.encode('<|im_start|>user', { addSpecial: false, parseSpecial: true })[0]).toBe(IM_START);
  });

  it('take the longest matching text first', () => {
    const t = chatVocab();
    expect(t.encode('<|im_start|><|im', { addSpecial: false, parseSpecial: true })).toEqual([IM_START, IM]);
  });

  it('split user-defined tokens out of the text even when special tokens are not parsed', () => {
    const t = chatVocab();
    expect(t.encode('a<tool>b', { addSpecial: false })).toEqual(['a'.charCodeAt(0), TOOL, 'b'.charCodeAt(0)]);
  });

  it('make end-of-turn texts control tokens that end generation, whatever type the file gives them', () => {
    const t = chatVocab();
    expect(t.tokenType(IM_END)).toBe(TokenType.Control);
    expect(t.isEndOfGeneration(IM_END)).toBe(true);
    expect(t.eotId).toBe(IM_END);
    expect(t.isEndOfGeneration(IM_START)).toBe(false);
  });

  it('decode to nothing unless their text is asked for', () => {
    const t = chatVocab();
    const ids = t.encode('<|im_start|>hi<|im_end|>', { addSpecial: false, parseSpecial: true });
    expect(t.decode(ids)).toBe('hi');
    expect(t.decode(ids, { unparseSpecial: true })).toBe('<|im_start|>hi<|im_end|>');
  });

  it('BOS and EOS are added only when the vocabulary says so, and a missing BOS id is an error', () => {
    expect(chatVocab({ bosId: IM_START, addBos: true }).encode('a')).toEqual([IM_START, 'a'.charCodeAt(0)]);
    expect(chatVocab({ eosId: IM_END, addEos: true }).encode('a')).toEqual(['a'.charCodeAt(0), IM_END]);
    expect(() => chatVocab({ addBos: true }).encode('a')).toThrow(/tokenizer\.ggml\.bos_token_id/);
  });
});

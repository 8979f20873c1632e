import { describe, expect, it } from 'vitest';
import { Tokenizer, TokenType } from '../../src/tokenizer';
import { byteLevelChar, toByteLevel } from '../../src/tokenizer/byteLevel';
import { handVocab } from './handVocab';

/** All 256 byte-level characters as tokens 0..255, then `extra` tokens from 256 on. */
function bpe(extra: string[], merges: string[], options = {}) {
  const tokens: [string][] = [
    ...Array.from({ length: 256 }, (_, b) => [byteLevelChar(b)] as [string]),
    ...extra.map((t) => [t] as [string]),
  ];
  return new Tokenizer(handVocab('gpt2', tokens, { merges, ...options }));
}
const byte = (ch: string) => ch.charCodeAt(0);

describe('byte-level alphabet', () => {
  it('spells space as Ġ, newline as Ċ and printable ASCII as itself', () => {
    expect(toByteLevel(' \nA~')).toBe('ĠĊA~');
  });

  it('spells each UTF-8 byte of a character separately', () => {
    expect(toByteLevel('é')).toBe('Ã©');
  });
});

describe('byte-level BPE', () => {
  it('applies merges in rank order, not left to right', () => {
    // "abc": "b c" (rank 0) before "a b" (rank 1) gives a + bc.
    const t = bpe(['ab', 'bc'], ['b c', 'a b']);
    expect(t.encode('abc', { addSpecial: false })).toEqual([byte('a'), 257]);
  });

  it('breaks rank ties by taking the leftmost pair', () => {
    const t = bpe(['aa'], ['a a']);
    expect(t.encode('aaa', { addSpecial: false })).toEqual([256, byte('a')]);
  });

  it('merges long words (over 32 bytes) exactly like short ones', () => {
    const t = bpe(['ab', 'abab'], ['a b', 'ab ab']);
    const long = 'ab'.repeat(41);
    expect(t.encode(long, { addSpecial: false })).toEqual([...Array(20).fill(257), 256]);
    expect(t.encode('ab'.repeat(5), { addSpecial: false })).toEqual([257, 257, 256]);
  });

  it('never merges across the words of the pre-tokenizer', () => {
    // GPT-2 splits "a b" into "a" and " b", so the merge "a Ġ" never applies.
    const t = bpe(['aĠ'], ['a Ġ']);
    expect(t.encode('a b', { addSpecial: false })).toEqual([byte('a'), t.idOf('Ġ'), byte('b')]);
  });

  it('takes a whole word that is a token without merging when the pre-tokenizer says so (Llama 3)', () => {
    // Merges alone would give "ab" + "c"; the word "abc" is itself a token.
    const llama3 = bpe(['ab', 'abc'], ['a b'], { pre: 'llama-bpe' });
    const gpt2 = bpe(['ab', 'abc'], ['a b']);
    expect(llama3.encode('abc', { addSpecial: false })).toEqual([257]);
    expect(gpt2.encode('abc', { addSpecial: false })).toEqual([256, byte('c')]);
  });

  it('keeps merging by text when a merge makes something that is no token, then keeps what is', () => {
    // "a b" joins into "ab", which is not in the vocabulary: llama.cpp keeps only the ASCII characters.
    const t = bpe([], ['a b']);
    expect(t.encode('ab', { addSpecial: false })).toEqual([byte('a'), byte('b')]);
  });

  it('decodes byte-level text back to the original bytes', () => {
    const t = bpe([], []);
    expect(t.decode(t.encode('naïve 😀\n', { addSpecial: false }))).toBe('naïve 😀\n');
  });
});

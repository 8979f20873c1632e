import { describe, expect, it } from 'vitest';
import { Tokenizer, TokenType } from '../../src/tokenizer';
import { byteTokens, handVocab } from './handVocab';

const BYTES = byteTokens();
const B = BYTES.length;
const CONTROL: [string, number, TokenType][] = [
  ['<unk>', 0, TokenType.Unknown],
  ['<s>', 0, TokenType.Control],
  ['</s>', 0, TokenType.Control],
];
const base = CONTROL.length + B;

/** Ids after the control and byte tokens, in the order listed. */
function spm(pieces: [string, number][], extra = {}) {
  return new Tokenizer(handVocab('llama', [...CONTROL, ...BYTES, ...pieces], { unkId: 0, bosId: 1, eosId: 2, addBos: true, ...extra }));
}

describe('SentencePiece tokenizer', () => {
  it('merges the pair whose token has the highest score first, not the leftmost pair', () => {
    // "▁abc": "ab" (score -5) loses to "bc" (score -1), so the result is ▁a + bc, never ▁ab + c.
    const t = spm([
      ['▁', -10],
      ['a', -10],
      ['b', -10],
      ['c', -10],
      ['ab', -5],
      ['bc', -1],
      ['▁a', -3],
    ]);
    expect(t.encode('abc', { addSpecial: false })).toEqual([base + 6, base + 5]);
  });

  it('breaks score ties by taking the leftmost pair', () => {
    const t = spm([
      ['▁', -10],
      ['a', -10],
      ['aa', -1],
    ]);
    expect(t.encode('aaa', { addSpecial: false })).toEqual([base, base + 2, base + 1]);
  });

  it('spells a character that is no token as its UTF-8 bytes', () => {
    const t = spm([['▁', -1]]);
    // "é" is C3 A9 in UTF-8.
    expect(t.encode('é', { addSpecial: false })).toEqual([base, CONTROL.length + 0xc3, CONTROL.length + 0xa9]);
    expect(t.decode(t.encode('é', { addSpecial: false }))).toBe('é');
  });

  it('falls back to the unknown token when the vocabulary has no byte tokens', () => {
    const t = new Tokenizer(
      handVocab(
        'llama',
        [
          ['<unk>', 0, TokenType.Unknown],
          ['▁', -1],
        ],
        { unkId: 0 },
      ),
    );
    expect(t.encode('é', { addSpecial: false })).toEqual([1, 0, 0]);
  });

  it('is an error to need a byte token in a vocabulary without byte or unknown tokens', () => {
    const t = new Tokenizer(handVocab('llama', [['▁', -1]]));
    expect(() => t.encode('é', { addSpecial: false })).toThrow(/no token for byte 0xc3 and no unknown token/);
  });

  it('puts a space before the text and after each special token, and BOS first when asked', () => {
    const t = spm([
      ['▁', -10],
      ['a', -10],
      ['▁a', -1],
    ]);
    const a = base + 2;
    expect(t.encode('a')).toEqual([1, a]);
    expect(t.encode('a</s>a', { addSpecial: false, parseSpecial: true })).toEqual([a, 2, a]);
    expect(
      spm(
        [
          ['▁', -10],
          ['a', -10],
          ['▁a', -1],
        ],
        { addSpacePrefix: false },
      ).encode('a', { addSpecial: false }),
    ).toEqual([base + 1]);
  });

  it('adds EOS when the vocabulary says so', () => {
    const t = spm(
      [
        ['▁', -10],
        ['a', -10],
        ['▁a', -1],
      ],
      { addEos: true },
    );
    expect(t.encode('a')).toEqual([1, base + 2, 2]);
  });

  it('merges across word starts when a token spans one', () => {
    // "a▁b" is a token, so words are not independent and the whole text is merged as one.
    const t = spm([
      ['▁', -10],
      ['a', -10],
      ['b', -10],
      ['▁a', -5],
      ['a▁', -2],
      ['a▁b', -1],
    ]);
    expect(t.encode('a b', { addSpecial: false })).toEqual([base, base + 5]);
  });

  it('decodes "▁" as a space and drops the space it added in front of text that starts the ids', () => {
    const t = spm([
      ['▁', -10],
      ['a', -10],
      ['▁a', -1],
    ]);
    expect(t.decode(t.encode('a a', { addSpecial: false }))).toBe('a a');
  });

  it('keeps that space after BOS and hides control tokens unless asked, as llama.cpp does', () => {
    const t = spm([
      ['▁', -10],
      ['a', -10],
      ['▁a', -1],
    ]);
    const ids = t.encode('a a');
    expect(t.decode(ids)).toBe(' a a');
    expect(t.decode(ids, { removeSpecial: true })).toBe(' a a');
    expect(t.decode(ids, { unparseSpecial: true })).toBe('<s> a a');
  });
});

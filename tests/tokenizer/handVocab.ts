import { TokenType, type TokenizerVocab } from '../../src/tokenizer';

/** A hand-written vocabulary: `tokens` as [text, score?, type?]; everything else as llama.cpp would default it. */
export function handVocab(
  model: 'llama' | 'gpt2',
  tokens: [string, number?, TokenType?][],
  extra: Partial<TokenizerVocab> = {},
): TokenizerVocab {
  return {
    model,
    pre: 'gpt-2',
    tokens: tokens.map(([t]) => t),
    scores: tokens.map(([, s]) => s ?? 0),
    tokenTypes: tokens.map(([, , t]) => t ?? TokenType.Normal),
    merges: model === 'gpt2' ? [] : undefined,
    bosId: null,
    eosId: null,
    unkId: null,
    padId: null,
    eotId: null,
    eomId: null,
    addBos: false,
    addEos: false,
    addSpacePrefix: model === 'llama',
    ...extra,
  };
}

/** SentencePiece byte tokens <0x00>..<0xFF>, as Llama 2 has them. */
export function byteTokens(): [string, number, TokenType][] {
  return Array.from({ length: 256 }, (_, b) => [`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 0, TokenType.Byte]);
}

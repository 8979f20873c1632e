import { LabError } from '../errors';

/** GGUF `tokenizer.ggml.token_type` values (llama.cpp's `llama_token_type`). */
export enum TokenType {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
}

/**
 * Everything a tokenizer needs, as plain data: what `vocabFromGguf` reads out of a model file (with
 * llama.cpp's defaults filled in), or what a test writes by hand. Ids that a vocabulary lacks are `null`.
 */
export interface TokenizerVocab {
  /** `tokenizer.ggml.model`: "llama" is SentencePiece-style BPE by score, "gpt2" is byte-level BPE by merge rank. */
  model: 'llama' | 'gpt2';
  /** `tokenizer.ggml.pre`: which pre-tokenizer splits text into words before BPE ("gpt2" models only). */
  pre: string;
  /** Token texts by id (SentencePiece spells spaces as "▁", byte-level BPE spells bytes with its own alphabet). */
  tokens: string[];
  /** SentencePiece merge scores by id (higher merges first); all 0 when absent. */
  scores?: ArrayLike<number>;
  /** `TokenType` by id; all Normal when absent. */
  tokenTypes?: ArrayLike<number>;
  /** Byte-level BPE merges, best first, each "left right". */
  merges?: string[];
  bosId: number | null;
  eosId: number | null;
  unkId: number | null;
  padId: number | null;
  /** End of turn (e.g. "<|im_end|>", "<|eot_id|>"): generation stops there too. */
  eotId: number | null;
  /** End of message ("<|eom_id|>"). */
  eomId: number | null;
  /** Whether `encode(text, { addSpecial: true })` starts with BOS / ends with EOS. */
  addBos: boolean;
  addEos: boolean;
  /** SentencePiece: prefix a space to text at the start and after a special token. */
  addSpacePrefix: boolean;
}

/** Checks the shapes a tokenizer relies on, so a bad vocabulary fails when loaded rather than mid-encode. */
export function checkVocab(vocab: TokenizerVocab, where = 'tokenizer'): void {
  const n = vocab.tokens.length;
  if (n === 0) throw new LabError('the vocabulary has no tokens', `${where}: tokenizer.ggml.tokens`);
  if (vocab.scores && vocab.scores.length !== n) {
    throw new LabError(`${vocab.scores.length} scores for ${n} tokens`, `${where}: tokenizer.ggml.scores`);
  }
  if (vocab.tokenTypes && vocab.tokenTypes.length !== n) {
    throw new LabError(`${vocab.tokenTypes.length} token types for ${n} tokens`, `${where}: tokenizer.ggml.token_type`);
  }
  if (vocab.model === 'gpt2' && !vocab.merges) {
    throw new LabError('a "gpt2" tokenizer needs merges', `${where}: tokenizer.ggml.merges`, 'the model file is incomplete');
  }
  const ids: [string, number | null][] = [
    ['bos_token_id', vocab.bosId],
    ['eos_token_id', vocab.eosId],
    ['unknown_token_id', vocab.unkId],
    ['padding_token_id', vocab.padId],
    ['eot_token_id', vocab.eotId],
    ['eom_token_id', vocab.eomId],
  ];
  for (const [field, id] of ids) {
    if (id !== null && !(Number.isInteger(id) && id >= 0 && id < n)) {
      throw new LabError(`id ${id} is not a token of this ${n}-token vocabulary`, `${where}: tokenizer.ggml.${field}`);
    }
  }
}

/**
 * A SentencePiece-style ("llama") vocabulary built for the bundled model's corpus: control tokens, the 256 byte
 * fallbacks, every character the corpus uses except digits and newlines, then pieces learned by byte-pair
 * merging over the corpus text. A piece's score is minus its merge rank, so llama.cpp's SentencePiece
 * tokenizer (and ours) merges in the order the pieces were learned. Digits are never merged: each digit is its
 * own token, which is what lets a small model learn column arithmetic.
 */
import type { GgufMetaEntry } from '../../src/formats/gguf';
import { TokenType } from '../../src/tokenizer';

const SPACE = '\u2581';

/** Characters that stay single tokens: digits (arithmetic) and newline (byte fallback, as in Llama's vocabulary). */
const NEVER_MERGED = /[0-9\n]/;

/**
 * No piece reaches past the end of a sentence or a label: the prompt ends there ("### Response:", "step by
 * step.") and the response starts with a space, so no token can straddle the two. Generation then starts from
 * the same tokens training saw.
 */
const SENTENCE_END = /[.:?!]\u2581/;

export interface BuiltVocab {
  tokens: string[];
  scores: number[];
  types: TokenType[];
}

/**
 * The corpus cut at digits and newlines (which never merge), spaces written as ▁ as SentencePiece sees them.
 * Spaces do not cut: the template's fixed phrases become a few tokens each, which keeps examples short.
 */
function corpusWords(texts: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const word of (SPACE + text.replaceAll(' ', SPACE)).split(/(?=[0-9\n])|(?<=[0-9\n])/)) {
      if (word) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return counts;
}

export function buildVocab(texts: Iterable<string>, mergeCount: number): BuiltVocab {
  const words = [...corpusWords(texts)].map(([word, count]) => ({ symbols: [...word], count }));
  const chars = new Set<string>();
  for (const w of words) for (const s of w.symbols) if (!NEVER_MERGED.test(s)) chars.add(s);
  const merges: string[] = [];
  for (let m = 0; m < mergeCount; m++) {
    const pairs = new Map<string, number>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.symbols.length; i++) {
        const [a, b] = [w.symbols[i], w.symbols[i + 1]];
        if (NEVER_MERGED.test(a) || NEVER_MERGED.test(b) || SENTENCE_END.test(a + b)) continue;
        const key = `${a}\u0000${b}`;
        pairs.set(key, (pairs.get(key) ?? 0) + w.count);
      }
    }
    let best: string | undefined;
    let bestCount = 1; // a pair seen once is not worth a token
    for (const [key, count] of pairs)
      if (count > bestCount || (count === bestCount && best !== undefined && key < best)) [best, bestCount] = [key, count];
    if (best === undefined) break;
    const [a, b] = best.split('\u0000');
    merges.push(a + b);
    for (const w of words) {
      const merged: string[] = [];
      for (let i = 0; i < w.symbols.length; i++) {
        if (i + 1 < w.symbols.length && w.symbols[i] === a && w.symbols[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else merged.push(w.symbols[i]);
      }
      w.symbols = merged;
    }
  }
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [TokenType.Unknown, TokenType.Control, TokenType.Control];
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TokenType.Byte);
  }
  const pieces = [...[...chars].sort(), ...'0123456789', ...merges];
  tokens.push(...pieces);
  types.push(...pieces.map(() => TokenType.Normal));
  // Characters score below every merge; merges score by rank, earliest highest.
  const scores = tokens.map((_, id) => (id < tokens.length - merges.length ? -1e6 : -(id - (tokens.length - merges.length))));
  return { tokens, scores, types };
}

/** The `tokenizer.*` GGUF keys for a built vocabulary (BOS 1, EOS 2, unknown 0, as Llama's); value types inferred. */
export function vocabMetadata(vocab: BuiltVocab): GgufMetaEntry[] {
  return [
    { key: 'tokenizer.ggml.model', value: 'llama' },
    { key: 'tokenizer.ggml.tokens', value: vocab.tokens },
    { key: 'tokenizer.ggml.scores', value: Float32Array.from(vocab.scores) },
    { key: 'tokenizer.ggml.token_type', value: Int32Array.from(vocab.types) },
    { key: 'tokenizer.ggml.bos_token_id', value: 1 },
    { key: 'tokenizer.ggml.eos_token_id', value: 2 },
    { key: 'tokenizer.ggml.unknown_token_id', value: 0 },
    { key: 'tokenizer.ggml.add_bos_token', value: true },
    { key: 'tokenizer.ggml.add_eos_token', value: false },
  ];
}

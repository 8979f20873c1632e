import { LabError } from '../errors';
import { Heap } from './heap';

interface Candidate {
  /** Score of the merged token: higher merges first. */
  score: number;
  left: number;
  right: number;
  /** UTF-16 length of the merged text; a side that merged since no longer adds up to it. */
  length: number;
}

const before = (a: Candidate, b: Candidate) => a.score > b.score || (a.score === b.score && a.left < b.left);

const utf8 = new TextEncoder();

/** Words seen before; training text repeats words so much that most lookups hit. */
const WORD_CACHE_LIMIT = 65_536;

/**
 * SentencePiece-style BPE (`tokenizer.ggml.model = "llama"`): start from single characters, repeatedly merge
 * the adjacent pair whose concatenation is the vocabulary token with the highest score (leftmost first on
 * ties), then emit each final symbol as its token, or as its UTF-8 bytes `<0xXX>` when it is no token (byte
 * fallback). The caller has already replaced spaces by "▁". A linked list of symbols and a heap of candidate
 * pairs make a text of n characters cost O(n log n).
 *
 * When no token has a "▁" after another character (true of Llama 2, Mistral and TinyStories vocabularies),
 * no merge can cross the start of a "▁"-prefixed word, so words are merged independently (the same result as
 * merging the whole text) and cached.
 */
export class SentencePieceEncoder {
  private readonly byteIds: (number | undefined)[] = [];
  private readonly wordsAreIndependent: boolean;
  private readonly cache = new Map<string, number[]>();

  constructor(
    private readonly tokenToId: Map<string, number>,
    private readonly scores: ArrayLike<number> | undefined,
    private readonly unkId: number | null,
  ) {
    for (let byte = 0; byte < 256; byte++) {
      const hex = byte.toString(16).toUpperCase().padStart(2, '0');
      this.byteIds.push(tokenToId.get(`<0x${hex}>`) ?? (byte < 0x80 ? tokenToId.get(String.fromCharCode(byte)) : undefined));
    }
    this.wordsAreIndependent = true;
    for (const text of tokenToId.keys()) {
      if (/[^▁]▁/u.test(text)) {
        this.wordsAreIndependent = false;
        break;
      }
    }
  }

  /** Appends the ids of already-escaped text to `out`. */
  encode(text: string, out: number[]): void {
    if (!this.wordsAreIndependent) {
      this.encodeWord(text, out);
      return;
    }
    let start = 0;
    for (let i = 1; i <= text.length; i++) {
      if (i < text.length && !(text[i] === '▁' && text[i - 1] !== '▁')) continue;
      const word = text.slice(start, i);
      let ids = this.cache.get(word);
      if (!ids) {
        ids = [];
        this.encodeWord(word, ids);
        if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, ids);
      }
      for (const id of ids) out.push(id);
      start = i;
    }
  }

  private encodeWord(text: string, out: number[]): void {
    const start: number[] = [];
    for (let i = 0; i < text.length;) {
      start.push(i);
      i += text.codePointAt(i)! > 0xffff ? 2 : 1;
    }
    const n = start.length;
    const length = new Int32Array(n);
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      length[i] = (i + 1 < n ? start[i + 1] : text.length) - start[i];
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }

    const heap = new Heap<Candidate>(before);
    const consider = (left: number, right: number) => {
      if (left < 0 || right < 0) return;
      const merged = text.substr(start[left], length[left] + length[right]);
      const id = this.tokenToId.get(merged);
      if (id !== undefined) heap.push({ score: this.scores ? this.scores[id] : 0, left, right, length: merged.length });
    };
    for (let i = 1; i < n; i++) consider(i - 1, i);

    for (let c = heap.pop(); c !== undefined; c = heap.pop()) {
      const { left, right } = c;
      if (length[left] === 0 || length[right] === 0 || length[left] + length[right] !== c.length) continue;
      length[left] += length[right];
      length[right] = 0;
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      consider(prev[left], left);
      consider(left, next[left]);
    }

    for (let i = 0; i !== -1 && n > 0; i = next[i]) {
      const piece = text.substr(start[i], length[i]);
      const id = this.tokenToId.get(piece);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      // Only an unmerged single character can be missing (every merge forms a token): spell its bytes.
      for (const byte of utf8.encode(piece)) {
        const byteId = this.byteIds[byte] ?? this.unkId;
        if (byteId === null) {
          throw new LabError(`no token for byte 0x${byte.toString(16)} and no unknown token`, 'tokenizer.ggml.tokens');
        }
        out.push(byteId);
      }
    }
  }
}

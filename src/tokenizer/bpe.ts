import { Heap } from './heap';
import { toByteLevel } from './byteLevel';
import { splitWords, type PreTokenizer } from './preTokenizer';

interface Candidate {
  /** Merge rank: lower merges first. */
  rank: number;
  left: number;
  right: number;
  /** The two token ids it joins, to tell a stale candidate (a side merged since) from a live one. */
  leftId: number;
  rightId: number;
}

const before = (a: Candidate, b: Candidate) => a.rank < b.rank || (a.rank === b.rank && a.left < b.left);

/** Words seen before, by byte-level text; training data repeats words so much that most lookups hit. */
const WORD_CACHE_LIMIT = 65_536;
/** Up to this many symbols a plain scan for the best pair beats a heap. */
const SCAN_LIMIT = 32;

/**
 * Byte-level BPE (`tokenizer.ggml.model = "gpt2"`): split text into words with the pre-tokenizer, spell each
 * word's UTF-8 bytes in the byte-level alphabet, then repeatedly merge the adjacent pair with the lowest merge
 * rank (leftmost first on ties) until no listed pair remains. Symbols are token ids and merges are looked up
 * by id pair, so the merge loop builds no strings; long words use a linked list and a heap of candidate pairs
 * (O(n log n)), short ones a scan.
 */
export class BytePairEncoder {
  /** Merge rank by `leftId * vocabSize + rightId`. */
  private readonly pairRank = new Map<number, number>();
  /** The token a merge makes, by rank; -1 when the joined text is no token. */
  private readonly mergedId: Int32Array;
  /** Token id of each one-character byte-level token, by char code; -1 when missing. */
  private readonly charId = new Int32Array(0x200).fill(-1);
  private readonly vocabSize: number;
  private readonly cache = new Map<string, number[]>();

  constructor(
    private readonly tokenToId: Map<string, number>,
    vocabSize: number,
    merges: string[],
    private readonly preTokenizer: PreTokenizer,
  ) {
    this.vocabSize = vocabSize;
    this.mergedId = new Int32Array(merges.length).fill(-1);
    merges.forEach((merge, rank) => {
      // A merge is "left right", split at the first space after the first character; the first listing wins.
      const at = merge.indexOf(' ', 1);
      if (at < 0) return;
      const left = tokenToId.get(merge.slice(0, at));
      const right = tokenToId.get(merge.slice(at + 1));
      if (left === undefined || right === undefined) return;
      const key = left * vocabSize + right;
      if (this.pairRank.has(key)) return;
      this.pairRank.set(key, rank);
      this.mergedId[rank] = tokenToId.get(merge.slice(0, at) + merge.slice(at + 1)) ?? -1;
    });
    for (const [text, id] of tokenToId) if (text.length === 1 && text.charCodeAt(0) < 0x200) this.charId[text.charCodeAt(0)] = id;
  }

  /** Appends the ids of plain text (no special tokens in it) to `out`. */
  encode(text: string, out: number[]): void {
    for (const word of splitWords(text, this.preTokenizer.patterns)) {
      const spelled = toByteLevel(word);
      let ids = this.cache.get(spelled);
      if (!ids) {
        ids = this.encodeWord(spelled);
        if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
        this.cache.set(spelled, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  private encodeWord(word: string): number[] {
    const whole = this.tokenToId.get(word);
    if (whole !== undefined && this.preTokenizer.ignoreMerges) return [whole];
    // Byte-level characters are single UTF-16 units below 0x200.
    const ids: number[] = [];
    for (let i = 0; i < word.length; i++) {
      const id = this.charId[word.charCodeAt(i)];
      if (id < 0) return this.missingBytes(word);
      ids.push(id);
    }
    const merged = ids.length <= SCAN_LIMIT ? this.mergeByScan(ids) : this.mergeByHeap(ids);
    return merged ?? this.missingBytes(word);
  }

  private rank(left: number, right: number): number | undefined {
    return this.pairRank.get(left * this.vocabSize + right);
  }

  /** Merges in place; undefined when a merge makes text that is no token. */
  private mergeByScan(ids: number[]): number[] | undefined {
    for (;;) {
      let best = Infinity;
      let at = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const rank = this.rank(ids[i], ids[i + 1]);
        if (rank !== undefined && rank < best) {
          best = rank;
          at = i;
        }
      }
      if (at < 0) return ids;
      const id = this.mergedId[best];
      if (id < 0) return undefined;
      ids.splice(at, 2, id);
    }
  }

  private mergeByHeap(initial: number[]): number[] | undefined {
    const n = initial.length;
    const ids = Int32Array.from(initial);
    const alive = new Uint8Array(n).fill(1);
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap = new Heap<Candidate>(before);
    const consider = (left: number, right: number) => {
      if (left < 0 || right < 0) return;
      const rank = this.rank(ids[left], ids[right]);
      if (rank !== undefined) heap.push({ rank, left, right, leftId: ids[left], rightId: ids[right] });
    };
    for (let i = 1; i < n; i++) consider(i - 1, i);

    for (let c = heap.pop(); c !== undefined; c = heap.pop()) {
      const { left, right } = c;
      if (!alive[left] || !alive[right] || ids[left] !== c.leftId || ids[right] !== c.rightId) continue;
      const id = this.mergedId[c.rank];
      if (id < 0) return undefined;
      ids[left] = id;
      alive[right] = 0;
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      consider(prev[left], left);
      consider(left, next[left]);
    }
    const out: number[] = [];
    for (let i = 0; i !== -1; i = next[i]) out.push(ids[i]);
    return out;
  }

  /**
   * A vocabulary without all 256 byte tokens, or with a merge whose result is no token: merge by text, then
   * (as llama.cpp does) look up each leftover symbol, and failing that each of its UTF-8 bytes as a one-byte
   * token, which only an ASCII character can be; the rest is dropped.
   */
  private missingBytes(word: string): number[] {
    const symbols = [...word];
    for (;;) {
      let best = Infinity;
      let at = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const left = this.tokenToId.get(symbols[i]);
        const right = this.tokenToId.get(symbols[i + 1]);
        const rank = left !== undefined && right !== undefined ? this.rank(left, right) : undefined;
        if (rank !== undefined && rank < best) {
          best = rank;
          at = i;
        }
      }
      if (at < 0) break;
      symbols.splice(at, 2, symbols[at] + symbols[at + 1]);
    }
    const out: number[] = [];
    for (const symbol of symbols) {
      const id = this.tokenToId.get(symbol);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      for (const ch of symbol) {
        const single = ch.charCodeAt(0) < 0x80 ? this.tokenToId.get(ch) : undefined;
        if (single !== undefined) out.push(single);
      }
    }
    return out;
  }
}

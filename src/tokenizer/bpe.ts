import { Heap } from './heap';
import { toByteLevel } from './byteLevel';
import { splitWords, type PreTokenizer } from './preTokenizer';

interface Candidate {
  /** Merge rank: lower merges first. */
  rank: number;
  left: number;
  right: number;
  /** The merged text, to tell a stale candidate (a side merged since) from a live one. */
  text: string;
}

const before = (a: Candidate, b: Candidate) => a.rank < b.rank || (a.rank === b.rank && a.left < b.left);

/** Words seen before, by byte-level text; training data repeats words so much that most lookups hit. */
const WORD_CACHE_LIMIT = 65_536;

/**
 * Byte-level BPE (`tokenizer.ggml.model = "gpt2"`): split text into words with the pre-tokenizer, spell each
 * word's UTF-8 bytes in the byte-level alphabet, then repeatedly merge the adjacent pair with the lowest merge
 * rank (leftmost first on ties) until no listed pair remains. A doubly linked list of symbols and a heap of
 * candidate pairs make a word of n bytes cost O(n log n).
 */
export class BytePairEncoder {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();

  constructor(
    private readonly tokenToId: Map<string, number>,
    merges: string[],
    private readonly preTokenizer: PreTokenizer,
  ) {
    merges.forEach((merge, rank) => {
      // A merge is "left right" (split at the first space after the first character); lookups rebuild the
      // same string from the two symbols, which never contain a space. The first listing of a pair wins.
      if (merge.indexOf(' ', 1) < 0) return;
      if (!this.ranks.has(merge)) this.ranks.set(merge, rank);
    });
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

    // Byte-level characters are single UTF-16 units, so symbol i starts as word[i].
    const n = word.length;
    const start = new Int32Array(n);
    const length = new Int32Array(n).fill(1);
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      start[i] = i;
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const symbol = (i: number) => word.substr(start[i], length[i]);
    const heap = new Heap<Candidate>(before);
    const consider = (left: number, right: number) => {
      if (left < 0 || right < 0) return;
      const rank = this.ranks.get(`${symbol(left)} ${symbol(right)}`);
      if (rank !== undefined) heap.push({ rank, left, right, text: symbol(left) + symbol(right) });
    };
    for (let i = 1; i < n; i++) consider(i - 1, i);

    for (let c = heap.pop(); c !== undefined; c = heap.pop()) {
      const { left, right } = c;
      if (length[left] === 0 || length[right] === 0 || symbol(left) + symbol(right) !== c.text) continue;
      length[left] += length[right];
      length[right] = 0;
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      consider(prev[left], left);
      consider(left, next[left]);
    }

    const ids: number[] = [];
    for (let i = 0; i !== -1 && i < n; i = next[i]) {
      const text = symbol(i);
      const id = this.tokenToId.get(text);
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      // A symbol that is no token (a vocabulary without all 256 byte tokens): llama.cpp looks up each UTF-8
      // byte as a one-byte token, which only an ASCII character can be; the rest is dropped.
      for (const ch of text) {
        const single = ch.charCodeAt(0) < 0x80 ? this.tokenToId.get(ch) : undefined;
        if (single !== undefined) ids.push(single);
      }
    }
    return ids;
  }
}

/**
 * Decontamination: a training row that shares any n consecutive words with an evaluation problem is removed
 * (n = 30 by default, as Skywork-Math did; the paper found 10-grams too strict). Words are lower-cased runs of
 * letters and digits, so spacing, punctuation and LaTeX markup do not hide an overlap. Every hit is confirmed
 * word by word, so hash collisions never remove a row.
 *
 * Evaluation items shorter than n words cannot be matched; `shortItems` says how many there are.
 */
import { hash32, sequenceKey, wordsOf } from './textKeys';

export const DEFAULT_NGRAM_WORDS = 30;

export interface EvalItem {
  /** What the report shows: MATH-500's unique_id, or "<file> line <n>". */
  id: string;
  /** The evaluation set it belongs to (its file name). */
  set: string;
  text: string;
}

export interface Contamination {
  item: EvalItem;
  /** The shared words, for the report. */
  overlap: string;
}

export class ContaminationIndex {
  private readonly grams = new Map<number, { item: number; at: number }>();
  private readonly itemWords: string[][] = [];
  readonly items: EvalItem[] = [];
  shortItems = 0;

  constructor(readonly ngramWords = DEFAULT_NGRAM_WORDS) {
    if (!Number.isInteger(ngramWords) || ngramWords < 1) throw new RangeError(`n-gram length must be a positive integer, got ${ngramWords}`);
  }

  add(items: Iterable<EvalItem>): void {
    for (const item of items) {
      const words = wordsOf(item.text);
      const index = this.items.length;
      this.items.push(item);
      this.itemWords.push(words);
      if (words.length < this.ngramWords) {
        this.shortItems++;
        continue;
      }
      const hashes = words.map((w) => hash32(w));
      for (let at = 0; at + this.ngramWords <= words.length; at++) {
        const key = sequenceKey(hashes, at, this.ngramWords);
        if (!this.grams.has(key)) this.grams.set(key, { item: index, at });
      }
    }
  }

  /** The first evaluation item sharing an n-gram with `text`, or undefined. */
  match(text: string): Contamination | undefined {
    if (this.grams.size === 0) return undefined;
    const words = wordsOf(text);
    const n = this.ngramWords;
    if (words.length < n) return undefined;
    const hashes = words.map((w) => hash32(w));
    for (let at = 0; at + n <= words.length; at++) {
      const hit = this.grams.get(sequenceKey(hashes, at, n));
      if (!hit) continue;
      const evalWords = this.itemWords[hit.item];
      let same = true;
      for (let k = 0; k < n && same; k++) same = words[at + k] === evalWords[hit.at + k];
      if (same) return { item: this.items[hit.item], overlap: words.slice(at, at + n).join(' ') };
    }
    return undefined;
  }
}

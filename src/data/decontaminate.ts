/**
 * Decontamination: a training row is removed when it holds an evaluation problem or a long piece of one.
 * Words are lower-cased runs of letters and digits, so spacing, punctuation and LaTeX markup do not hide an overlap.
 *
 * - A problem of at least n words (n = 30 by default, as Skywork-Math did; the paper found 10-grams too strict)
 *   matches a row sharing any n consecutive words with it.
 * - A shorter problem cannot share n words with anything, so it matches a row that holds all of its words in
 *   order, as one run. Below MIN_CONTAINED_WORDS words that run says too little (words drop operators:
 *   "simplify k 4 2 3k" is many problems), so such a problem matches only a row whose problem is the same text.
 * - Any problem matches a row whose problem is the same text (case and spacing aside).
 *
 * Every hit is confirmed word by word (or character by character), so hash collisions never remove a row.
 */
import { hash32, hash53, normaliseText, sequenceKey, wordsOf } from './textKeys';

export const DEFAULT_NGRAM_WORDS = 30;
/** Shortest problem that a run of its words anywhere in a row may match. */
export const MIN_CONTAINED_WORDS = 8;

export interface EvalItem {
  /** What the report shows: MATH-500's unique_id, or "<file> line <n>". */
  id: string;
  /** The evaluation set it belongs to (its file name). */
  set: string;
  text: string;
}

export interface Contamination {
  item: EvalItem;
  /** The shared words (or the whole problem), for the report. */
  overlap: string;
}

/** A training row as decontamination sees it. */
export interface RowText {
  prompt: string;
  response: string;
}

interface GramHit {
  item: number;
  at: number;
}

export class ContaminationIndex {
  /** n-grams of problems of at least n words. */
  private readonly grams = new Map<number, GramHit>();
  /** First MIN_CONTAINED_WORDS words of shorter problems, each to be confirmed as a whole. */
  private readonly prefixes = new Map<number, number[]>();
  /** Normalised problem text → items. */
  private readonly texts = new Map<number, number[]>();
  private readonly itemWords: string[][] = [];
  private readonly itemTexts: string[] = [];
  readonly items: EvalItem[] = [];
  /** Problems too short for any run of words to match: only a row with the same problem does. */
  verbatimOnlyItems = 0;

  constructor(readonly ngramWords = DEFAULT_NGRAM_WORDS) {
    if (!Number.isInteger(ngramWords) || ngramWords < 1)
      throw new RangeError(`n-gram length must be a positive integer, got ${ngramWords}`);
  }

  add(items: Iterable<EvalItem>): void {
    for (const item of items) {
      const words = wordsOf(item.text);
      const text = normaliseText(item.text);
      const index = this.items.length;
      this.items.push(item);
      this.itemWords.push(words);
      this.itemTexts.push(text);
      pushTo(this.texts, hash53(text), index);
      const hashes = words.map((w) => hash32(w));
      if (words.length >= this.ngramWords) {
        for (let at = 0; at + this.ngramWords <= words.length; at++) {
          const key = sequenceKey(hashes, at, this.ngramWords);
          if (!this.grams.has(key)) this.grams.set(key, { item: index, at });
        }
      } else if (words.length >= MIN_CONTAINED_WORDS) {
        pushTo(this.prefixes, sequenceKey(hashes, 0, MIN_CONTAINED_WORDS), index);
      } else {
        this.verbatimOnlyItems++;
      }
    }
  }

  /** The first evaluation item the row holds (see the rules above), or undefined. */
  match(row: RowText): Contamination | undefined {
    if (this.items.length === 0) return undefined;
    const prompt = normaliseText(row.prompt);
    for (const index of this.texts.get(hash53(prompt)) ?? []) {
      if (this.itemTexts[index] === prompt) return { item: this.items[index], overlap: prompt };
    }
    const words = wordsOf(`${row.prompt}\n${row.response}`);
    const hashes = words.map((w) => hash32(w));
    return this.matchGrams(words, hashes) ?? this.matchShortItems(words, hashes);
  }

  private matchGrams(words: string[], hashes: number[]): Contamination | undefined {
    const n = this.ngramWords;
    if (this.grams.size === 0) return undefined;
    for (let at = 0; at + n <= words.length; at++) {
      const hit = this.grams.get(sequenceKey(hashes, at, n));
      if (hit && sameRun(words, at, this.itemWords[hit.item], hit.at, n)) {
        return { item: this.items[hit.item], overlap: words.slice(at, at + n).join(' ') };
      }
    }
    return undefined;
  }

  private matchShortItems(words: string[], hashes: number[]): Contamination | undefined {
    if (this.prefixes.size === 0) return undefined;
    for (let at = 0; at + MIN_CONTAINED_WORDS <= words.length; at++) {
      for (const index of this.prefixes.get(sequenceKey(hashes, at, MIN_CONTAINED_WORDS)) ?? []) {
        const itemWords = this.itemWords[index];
        if (at + itemWords.length <= words.length && sameRun(words, at, itemWords, 0, itemWords.length)) {
          return { item: this.items[index], overlap: itemWords.join(' ') };
        }
      }
    }
    return undefined;
  }
}

function sameRun(a: string[], aAt: number, b: string[], bAt: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (a[aAt + k] !== b[bAt + k]) return false;
  return true;
}

function pushTo(map: Map<number, number[]>, key: number, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

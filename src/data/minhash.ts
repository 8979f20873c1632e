/**
 * MinHash signatures over word n-grams: the fraction of equal signature entries estimates the Jaccard
 * similarity of two texts' n-gram sets. Each of the `numHashes` hash functions is mix32(x ^ seed_j) with
 * seeds drawn from the caller's seed, so signatures repeat exactly run to run.
 */
import { seededRandom } from '../util/random';
import { hash32, mix32, sequenceKey, wordsOf } from './textKeys';

export function minhashSeeds(numHashes: number, seed: number): Uint32Array {
  const next = seededRandom(seed);
  return Uint32Array.from({ length: numHashes }, () => Math.floor(next() * 0x100000000));
}

/** Writes the signature of `text` into `out` (length = seeds.length). Texts shorter than n words are one n-gram. */
export function minhashSignature(text: string, shingleWords: number, seeds: Uint32Array, out: Uint32Array): void {
  const words = wordsOf(text).map((w) => hash32(w));
  const count = Math.max(1, words.length - shingleWords + 1);
  out.fill(0xffffffff);
  for (let i = 0; i < count; i++) {
    const shingle = sequenceKey(words, i, Math.min(shingleWords, words.length)) >>> 0;
    for (let j = 0; j < seeds.length; j++) {
      const h = mix32(shingle ^ seeds[j]);
      if (h < out[j]) out[j] = h;
    }
  }
}

/** The fraction of equal entries: an estimate of Jaccard similarity with error about sqrt(J(1-J)/length). */
export function signatureSimilarity(a: Uint32Array, b: Uint32Array, bOffset = 0): number {
  let equal = 0;
  for (let j = 0; j < a.length; j++) if (a[j] === b[bOffset + j]) equal++;
  return equal / a.length;
}

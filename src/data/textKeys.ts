/**
 * Text normalisation and hashing shared by deduplication and decontamination. Hashes are 53-bit numbers
 * (two 32-bit mixes folded together) so they can key a Map without allocating strings; at a million rows the
 * chance that two different texts collide is about 1e-4.
 */

/** Case, Unicode compatibility forms and runs of whitespace do not make two texts different. */
export function normaliseText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Lower-cased runs of letters and digits: punctuation and LaTeX markup are not words. */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** murmur3's 32-bit finaliser: a bijection that spreads every input bit over the output. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, finished with mix32. */
export function hash32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/** Two independent 32-bit hashes folded into one safe integer (53 bits). */
export function hash53(text: string): number {
  return hash32(text, 0x9e3779b9) * 0x200000 + (hash32(text, 0x7f4a7c15) >>> 11);
}

/** Folds a sequence of 32-bit values (word hashes) into a 53-bit key, order-sensitive. */
export function sequenceKey(values: ArrayLike<number>, start: number, length: number): number {
  let a = 0x12345678;
  let b = 0x9abcdef0;
  for (let i = start; i < start + length; i++) {
    a = mix32((a ^ values[i]) + 0x9e3779b9);
    b = mix32(Math.imul(b, 31) ^ values[i]);
  }
  return a * 0x200000 + (b >>> 11);
}

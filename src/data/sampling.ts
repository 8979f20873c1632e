/**
 * Seeded orderings of a dataset: a shuffle, a train/validation split, and nested subsets for data-scaling
 * experiments (the first 1k, 2k, 4k … rows of one fixed shuffle, so each size contains the smaller ones and
 * a scaling curve measures data, not a different draw).
 */
import { seededRandom } from '../util/random';

/** A Fisher-Yates shuffle driven by `seed`; the input is not changed. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  const next = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export interface Split<T> {
  train: T[];
  validation: T[];
}

/** Shuffles with `seed`, then holds out round(fraction * n) items (at least one when fraction > 0 and n > 1). */
export function trainValidationSplit<T>(items: readonly T[], validationFraction: number, seed: number): Split<T> {
  if (!(validationFraction >= 0 && validationFraction < 1))
    throw new RangeError(`validation fraction must be in [0, 1), got ${validationFraction}`);
  const shuffled = seededShuffle(items, seed);
  let held = Math.round(validationFraction * shuffled.length);
  if (validationFraction > 0 && held === 0 && shuffled.length > 1) held = 1;
  return { train: shuffled.slice(held), validation: shuffled.slice(0, held) };
}

/** Prefixes of one seeded shuffle, one per size (sizes ascending); a size above the item count is an error. */
export function nestedSubsets<T>(items: readonly T[], sizes: readonly number[], seed: number): T[][] {
  const shuffled = seededShuffle(items, seed);
  return sizes.map((size, i) => {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`subset size must be a positive integer, got ${size}`);
    if (i > 0 && size < sizes[i - 1]) throw new RangeError(`subset sizes must ascend: ${sizes.join(', ')}`);
    if (size > shuffled.length) throw new RangeError(`subset of ${size} asked from ${shuffled.length} examples`);
    return shuffled.slice(0, size);
  });
}

/** Sizes doubling from `first` up to `total` (e.g. 1000, 2000, 4000, …), ending with `total` itself. */
export function doublingSizes(first: number, total: number): number[] {
  const sizes: number[] = [];
  for (let s = first; s < total; s *= 2) sizes.push(s);
  sizes.push(total);
  return sizes;
}

/**
 * The rounding rules of ggml's reference quantisers, applied to f32 values (callers round each intermediate
 * result with Math.fround so the arithmetic is the same single-precision arithmetic as the C code).
 */

/** Round half to even: what ggml's `nearest_int` (the 1.5·2^23 trick) gives for |v| < 2^22. */
export function nearestInt(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Round half away from zero: C's `roundf`. */
export function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

export const fround = Math.fround;

/** Checks that a value count is a whole number of blocks. */
export function blockCount(count: number, blockElements: number, format: string): number {
  if (count % blockElements !== 0) throw new Error(`${format}: ${count} values is not a multiple of the block size ${blockElements}`);
  return count / blockElements;
}

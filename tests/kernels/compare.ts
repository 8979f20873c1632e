import { expect } from 'vitest';

/** Largest |actual − expected| and the index where it occurs. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): { diff: number; index: number } {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let index = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= diff)) {
      diff = d;
      index = i;
    }
  }
  return { diff, index };
}

/**
 * Elementwise |actual − expected| ≤ atol + rtol·|expected|; a NaN anywhere fails. `context` (the seed, the
 * shape) is printed on failure so the case can be replayed.
 */
export function expectAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: { atol: number; rtol?: number },
  context: string,
): void {
  expect(actual.length, context).toBe(expected.length);
  const rtol = tolerance.rtol ?? 0;
  for (let i = 0; i < actual.length; i++) {
    const bound = tolerance.atol + rtol * Math.abs(expected[i]);
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= bound)) {
      expect.fail(`${context}: element ${i} is ${actual[i]}, expected ${expected[i]} (|diff| ${d} > ${bound})`);
    }
  }
}

import type { FmaChainsShape } from '../roofline';

/** sums[i] = Σ_j x[4(i + j·threads) .. +3] in f64: what streamRead writes. */
export function streamReadReference(x: Float32Array, threads: number): Float32Array {
  const sums = new Float64Array(threads);
  const n4 = x.length / 4;
  for (let j = 0; j < n4; j++) {
    const i = j % threads;
    sums[i] += x[4 * j] + x[4 * j + 1] + x[4 * j + 2] + x[4 * j + 3];
  }
  return Float32Array.from(sums);
}

/** What every thread of fmaChains writes, in f64: four vec4 chains a ← a·m + c from start + k, summed. */
export function fmaChainsReference(shape: FmaChainsShape): number {
  let total = 0;
  for (let k = 0; k < 4; k++) {
    let a = shape.start + k;
    for (let i = 0; i < shape.iterations; i++) a = a * shape.m + shape.c;
    total += 4 * a;
  }
  return total;
}

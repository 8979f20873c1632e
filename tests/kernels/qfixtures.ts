import { expect } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import { quantize } from '../../src/formats/quant';
import { randomF32 } from '../../src/util/random';
import {
  allocateStackedWeight,
  uploadQuantizedWeight,
  writeQuantizedWeightBytes,
  type QuantFormat,
  type QuantizedWeight,
  type StackedWeight,
} from '../../src/kernels/quantWeight';
import { dequantizeWeight } from '../../src/kernels/reference/qmatmul';

/**
 * Row lengths per format: a few blocks, and for Q4_0/Q8_0/Q6_K an odd block count so that rows (and the blocks in
 * them) start 2 bytes off a word boundary, the case the kernels' straddling reads exist for.
 */
export const TEST_K: Record<QuantFormat, number> = { F32: 40, F16: 72, Q4_0: 96, Q8_0: 96, Q4_K: 512, Q6_K: 256 };

/** Matvec workgroup layouts the tests cover: a CPU adapter's 4 threads and a GPU's 32, each splitting K or summing whole rows. */
export const MATVEC_LAYOUTS = [
  { threads: 4, splitK: true },
  { threads: 32, splitK: true },
  { threads: 4, splitK: false },
  { threads: 32, splitK: false },
] as const;

export interface TestWeight {
  weight: QuantizedWeight;
  bytes: Uint8Array;
  /** The reference decoder's values, [N, K]. */
  decoded: Float32Array;
}

/** Random values in [-1, 1) through our own quantiser, uploaded in the GGUF row layout. */
export function testWeight(gpu: Gpu, format: QuantFormat, N: number, K: number, seed: number, maxBindingBytes?: number): TestWeight {
  const bytes = quantize(format, randomF32(N * K, seed));
  const weight = uploadQuantizedWeight(gpu, { format, N, K, bytes, label: `${format} test weight`, maxBindingBytes });
  return { weight, bytes, decoded: dequantizeWeight(format, bytes, N, K) };
}

/**
 * Random weights of `rows[s]` rows each (section s from seed + s), in `format` or section s in format[s], stacked in
 * one buffer as the loader stacks a layer's q, k, v or gate, up, and each also uploaded alone for the separate
 * products.
 */
export function testStack(
  gpu: Gpu,
  format: QuantFormat | readonly QuantFormat[],
  rows: readonly number[],
  K: number,
  seed: number,
): { stack: StackedWeight; alone: TestWeight[] } {
  const formatOf = (s: number) => (typeof format === 'string' ? format : format[s]);
  const alone = rows.map((N, s) => testWeight(gpu, formatOf(s), N, K, seed + s));
  const stack = allocateStackedWeight(gpu, {
    K,
    sections: rows.map((N, s) => ({ N, format: formatOf(s), label: `${formatOf(s)} section ${s}` })),
    label: `${rows.map((_, s) => formatOf(s)).join('+')} test stack`,
  });
  alone.forEach((w, s) => writeQuantizedWeightBytes(gpu, stack.sections[s], 0, w.bytes));
  return { stack, alone };
}

/** [n, n] identity: multiplying by it makes a kernel return the decoded weight values themselves. */
export function identity(n: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

/**
 * Bit-for-bit equality, except that +0 and −0 count as equal: a product with an identity matrix sums a decoded −0
 * with +0 terms, which IEEE arithmetic makes +0.
 */
export function expectBitExact(actual: Float32Array, expected: Float32Array, context: string): void {
  expect(actual.length, context).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i] && !(actual[i] === 0 && expected[i] === 0)) {
      expect.fail(`${context}: value ${i} is ${actual[i]}, the reference decoder gives ${expected[i]}`);
    }
  }
}

/** W [N, K] transposed to [K, N]: what X·Wᵀ gives for X = identity. */
export function transpose(w: Float32Array, N: number, K: number): Float32Array {
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[k * N + n] = w[n * K + k];
  return out;
}

/**
 * f32 accumulation of K products of |x| ≤ 1 and |w| ≤ ~1 in an order different from the reference's: errors grow
 * like √K·2^-24 times the partial sums' size (≤ K); 1e-6·K + 1e-6 is orders of magnitude above that and orders below
 * an indexing mistake (errors of order 1).
 */
export function sumTolerance(K: number): { atol: number } {
  return { atol: 1e-6 * K + 1e-6 };
}

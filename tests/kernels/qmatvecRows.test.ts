import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import { quantizedMatmul } from '../../src/kernels/qmatmul';
import { QUANT_FORMATS, freeQuantizedWeight, type QuantFormat } from '../../src/kernels/quantWeight';
import { quantizedMatmulReference } from '../../src/kernels/reference/qmatmul';
import { expectAllClose } from './compare';
import { TEST_K, expectBitExact, sumTolerance, testWeight } from './qfixtures';

// The matvec kernel decodes each weight unit once for all the activation rows of a workgroup (up to 8). These
// tests pin what batched decode relies on: every row count is right, and a row's result does not depend on how
// many rows share its workgroup or where it sits among them.

/** N = 11 leaves the last 4-column workgroup part empty; K is two or more units so threads split it. */
const N = 11;

/** Runs Y = X·Wᵀ with the matvec kernel for M rows of X (X row-major [M, K]) on an uploaded weight. */
async function matvec(
  format: QuantFormat,
  x: Float32Array,
  M: number,
  weight: ReturnType<typeof testWeight>['weight'],
): Promise<Float32Array> {
  const gpu = await testGpu();
  const bufX = gpu.upload(x.subarray(0, M * weight.K), { label: 'X' });
  const bufY = gpu.alloc(M * N * 4, { label: `Y (${format}, M=${M})` });
  const rec = gpu.recorder();
  quantizedMatmul(rec, bufX, weight, bufY, { M, kernel: 'matvec' });
  rec.submit();
  const y = await gpu.readF32(bufY, M * N);
  gpu.buffers.free(bufX);
  gpu.buffers.free(bufY);
  return y;
}

describe('quantized matvec over several activation rows (weights decoded once per workgroup of rows)', () => {
  QUANT_FORMATS.forEach((format, f) => {
    const K = TEST_K[format];

    // Every row count 1..8 is its own pipeline (~0.5 s to compile on SwiftShader): all of them for a block format and
    // a plain one, a spread for the rest. 11 rows take a second, partly empty group of 8.
    const rowCounts = format === 'Q4_0' || format === 'F32' ? [1, 2, 3, 4, 5, 6, 7, 8, 11] : [1, 3, 6, 8, 11];
    it(`${format}: M = ${rowCounts.join(', ')} match dequantise-then-f64`, async () => {
      const gpu = await testGpu();
      const seed = 700 + f;
      const { weight, decoded } = testWeight(gpu, format, N, K, seed);
      const x = randomF32(11 * K, seed + 1);
      try {
        for (const M of rowCounts) {
          const got = await matvec(format, x, M, weight);
          expectAllClose(
            got,
            quantizedMatmulReference(x.subarray(0, M * K), decoded, M, N, K),
            sumTolerance(K),
            `${format} M=${M} N=${N} K=${K} seed ${seed}`,
          );
        }
      } finally {
        freeQuantizedWeight(gpu, weight);
      }
    }, 60_000);

    it(`${format}: every row of an 8-row product is bit-identical to that row computed alone or among 3`, async () => {
      const gpu = await testGpu();
      const seed = 800 + f;
      const { weight } = testWeight(gpu, format, N, K, seed);
      const x = randomF32(8 * K, seed + 1);
      try {
        const all = await matvec(format, x, 8, weight);
        for (let r = 0; r < 8; r++) {
          const alone = await matvec(format, x.subarray(r * K, (r + 1) * K), 1, weight);
          expectBitExact(all.subarray(r * N, (r + 1) * N), alone, `${format} row ${r} of 8 vs alone, seed ${seed}`);
        }
        // Rows 5..7 as rows 0..2 of a 3-row product: a different place in a different-sized group.
        const three = await matvec(format, x.subarray(5 * K), 3, weight);
        expectBitExact(all.subarray(5 * N), three, `${format} rows 5..7 of 8 vs a 3-row product, seed ${seed}`);
        expect(all.every(Number.isFinite)).toBe(true);
      } finally {
        freeQuantizedWeight(gpu, weight);
      }
    }, 60_000);
  });
});

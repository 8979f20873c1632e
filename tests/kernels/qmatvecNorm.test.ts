import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import { quantizedMatmul } from '../../src/kernels/qmatmul';
import { rmsNorm } from '../../src/kernels/rmsnorm';
import { QUANT_FORMATS, freeQuantizedWeight, type QuantFormat } from '../../src/kernels/quantWeight';
import { quantizedMatmulReference } from '../../src/kernels/reference/qmatmul';
import { rmsNormReference } from '../../src/kernels/reference/rmsnorm';
import { LabError } from '../../src/errors';
import { expectAllClose } from './compare';
import { TEST_K, expectBitExact, sumTolerance, testWeight } from './qfixtures';

// The matvec kernel's RMSNorm prologue: Y = (rmsnorm(X)·w)·Wᵀ in one dispatch, where inference ran shaders/rmsnorm.wgsl
// and then the product. Its contract: equal to the two dispatches up to f32 rounding, and each row's result
// independent of the rows sharing its workgroup (batched decode's bit-identity).

/** N = 11 leaves the last 4-column workgroup part empty. */
const N = 11;
const EPS = 1e-5;

interface NormRun {
  fused: Float32Array;
  separate: Float32Array;
  want: Float32Array;
}

/** X scaled well away from 1 so that a missing or doubled rstd shows; the norm weight random in [-1, 1). */
async function runNorm(format: QuantFormat, x: Float32Array, M: number, seed: number): Promise<NormRun> {
  const gpu = await testGpu();
  const K = TEST_K[format];
  const { weight, decoded } = testWeight(gpu, format, N, K, seed);
  const normW = randomF32(K, seed + 1);
  const bufX = gpu.upload(x.subarray(0, M * K), { label: 'X' });
  const bufNorm = gpu.upload(normW, { label: 'norm weight' });
  const xn = gpu.alloc(M * K * 4, { label: 'xn' });
  const rstd = gpu.alloc(M * 4, { label: 'rstd' });
  const separate = gpu.alloc(M * N * 4, { label: 'Y (separate)' });
  const fused = gpu.alloc(M * N * 4, { label: 'Y (fused)' });
  try {
    const rec = gpu.recorder();
    rmsNorm(rec, { x: bufX, w: bufNorm, y: xn, rstd }, { rows: M, n: K, eps: EPS });
    quantizedMatmul(rec, xn, weight, separate, { M });
    const before = rec.dispatchCount;
    quantizedMatmul(rec, bufX, weight, fused, { M, norm: { weight: bufNorm, eps: EPS } });
    expect(rec.dispatchCount - before).toBe(1);
    rec.submit();
    const normed = rmsNormReference(x.subarray(0, M * K), normW, M, K, EPS).y;
    return {
      fused: await gpu.readF32(fused, M * N),
      separate: await gpu.readF32(separate, M * N),
      want: quantizedMatmulReference(normed, decoded, M, N, K),
    };
  } finally {
    for (const b of [bufX, bufNorm, xn, rstd, separate, fused]) gpu.buffers.free(b);
    freeQuantizedWeight(gpu, weight);
  }
}

function scaledX(M: number, K: number, seed: number): Float32Array {
  return randomF32(M * K, seed).map((v) => 7 * v);
}

describe('quantized matvec with the RMSNorm prologue (norm and projection in one dispatch)', () => {
  QUANT_FORMATS.forEach((format, f) => {
    const K = TEST_K[format];

    it(`${format}: M = 1, 3, 8 match rmsnorm then the product, and the f64 reference`, async () => {
      for (const M of [1, 3, 8]) {
        const seed = 1100 + 10 * f + M;
        const run = await runNorm(format, scaledX(M, K, seed + 2), M, seed);
        const context = `${format} M=${M} N=${N} K=${K} seed ${seed}`;
        // Normalised rows have |x·rstd| ≤ √K, so sums of K terms stay within sumTolerance's reach times a few.
        expectAllClose(run.fused, run.separate, sumTolerance(K), `fused vs rmsnorm + matvec, ${context}`);
        expectAllClose(run.fused, run.want, sumTolerance(K), `fused vs reference, ${context}`);
      }
    }, 60_000);

    it(`${format}: every row of an 8-row product is bit-identical to that row computed alone`, async () => {
      const seed = 1200 + f;
      const x = scaledX(8, K, seed + 2);
      const all = (await runNorm(format, x, 8, seed)).fused;
      for (const r of [0, 5, 7]) {
        const alone = (await runNorm(format, x.slice(r * K, (r + 1) * K), 1, seed)).fused;
        expectBitExact(all.subarray(r * N, (r + 1) * N), alone, `${format} row ${r} of 8 vs alone, seed ${seed}`);
      }
    }, 60_000);
  });

  it('refuses the prologue on the tiled kernel', async () => {
    const gpu = await testGpu();
    const { weight } = testWeight(gpu, 'Q4_0', N, TEST_K.Q4_0, 1295);
    const buf = gpu.alloc(16 * TEST_K.Q4_0 * 4, { label: 'scratch' });
    try {
      const rec = gpu.recorder();
      expect(() => quantizedMatmul(rec, buf, weight, buf, { M: 16, norm: { weight: buf, eps: EPS } })).toThrow(LabError);
      expect(rec.dispatchCount).toBe(0);
    } finally {
      gpu.buffers.free(buf);
      freeQuantizedWeight(gpu, weight);
    }
  });
});

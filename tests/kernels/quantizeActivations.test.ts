import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import {
  quantizeActivations,
  quantizedActivationBytes,
  quantizedActivationSections,
  quantizedActivationWords,
} from '../../src/kernels/quantizeActivations';
import { quantizeActivationsReference, quantizedActivationLayout } from '../../src/kernels/reference/quantizeActivations';

async function quantizeOnGpu(x: Float32Array, M: number, K: number, normWeight?: Float32Array): Promise<Uint32Array> {
  const gpu = await testGpu();
  const bufX = gpu.upload(x, { label: 'X' });
  const bufNorm = normWeight && gpu.upload(normWeight, { label: 'norm weight' });
  const bufXq = gpu.alloc(quantizedActivationBytes(M, K), { label: 'XQ' });
  const rec = gpu.recorder();
  quantizeActivations(rec, bufX, bufXq, { M, K }, { normWeight: bufNorm, label: 'test' });
  rec.submit();
  const words = new Uint32Array((await gpu.readF32(bufXq, quantizedActivationBytes(M, K) / 4)).buffer);
  for (const b of [bufX, bufXq, bufNorm]) if (b) gpu.buffers.free(b);
  return words;
}

/**
 * Expects the kernel's words to be the reference layout's: bit for bit, except each block's Σ x² (the squares
 * section), an f32 sum whose order is the kernel's, within f32 rounding of the reference's f64 sum.
 */
function expectLayout(got: Uint32Array, want: Uint32Array, M: number, K: number, what: string): void {
  const rowWords = quantizedActivationWords(K);
  const squaresAt = quantizedActivationSections(K).squares;
  const gotF = new Float32Array(got.buffer);
  const wantF = new Float32Array(want.buffer);
  for (let m = 0; m < M; m++) {
    for (let i = 0; i < rowWords; i++) {
      const at = m * rowWords + i;
      if (i < squaresAt) expect(got[at], `${what}: row ${m} word ${i}`).toBe(want[at]);
      else expect(Math.abs(gotF[at] - wantF[at]), `${what}: row ${m} block ${i - squaresAt} Σ x²`).toBeLessThanOrEqual(1e-6 * wantF[at]);
    }
  }
}

describe('activations quantized to 8 bits per 32-value block', () => {
  it('writes the pair words, packed bytes, scales, sums and squares of the reference (3 rows of 160, a zero block)', async () => {
    const M = 3;
    const K = 160;
    const seed = 900;
    const x = randomF32(M * K, seed).map((v, i) => (i % K < 32 && i < K ? 0 : v * (1 + (i % 7))));
    const got = await quantizeOnGpu(x, M, K);
    expectLayout(got, quantizedActivationLayout(quantizeActivationsReference(x, M, K), M, K, x), M, K, `seed ${seed}`);
  });

  it('quantizes X times the norm weight with NORM, and keeps the squares of X itself', async () => {
    const M = 2;
    const K = 64;
    const seed = 901;
    const x = randomF32(M * K, seed);
    const w = randomF32(K, seed + 1);
    const scaled = x.map((v, i) => Math.fround(v * w[i % K]));
    const got = await quantizeOnGpu(x, M, K, w);
    expectLayout(got, quantizedActivationLayout(quantizeActivationsReference(scaled, M, K), M, K, x), M, K, `seed ${seed}`);
  });
});

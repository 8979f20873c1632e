import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import { quantizeActivations, quantizedActivationBytes } from '../../src/kernels/quantizeActivations';
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

describe('activations quantized to 8 bits per 32-value block', () => {
  it('writes the pair words, packed bytes, scales and sums of the reference, bit for bit (3 rows of 160, a zero block)', async () => {
    const M = 3;
    const K = 160;
    const seed = 900;
    const x = randomF32(M * K, seed).map((v, i) => (i % K < 32 && i < K ? 0 : v * (1 + (i % 7))));
    const got = await quantizeOnGpu(x, M, K);
    const want = quantizedActivationLayout(quantizeActivationsReference(x, M, K), M, K);
    expect(Array.from(got), `seed ${seed}`).toEqual(Array.from(want));
  });

  it('quantizes X times the norm weight with NORM', async () => {
    const M = 2;
    const K = 64;
    const seed = 901;
    const x = randomF32(M * K, seed);
    const w = randomF32(K, seed + 1);
    const scaled = x.map((v, i) => Math.fround(v * w[i % K]));
    const got = await quantizeOnGpu(x, M, K, w);
    expect(Array.from(got), `seed ${seed}`).toEqual(
      Array.from(quantizedActivationLayout(quantizeActivationsReference(scaled, M, K), M, K)),
    );
  });
});

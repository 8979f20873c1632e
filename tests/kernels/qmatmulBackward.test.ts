import { describe, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import { QUANT_FORMATS, freeQuantizedWeight, type QuantFormat } from '../../src/kernels/quantWeight';
import { quantizedMatmul, quantizedMatmulBackward } from '../../src/kernels/qmatmul';
import { expectAllClose } from './compare';
import { expectGradientMatchesFiniteDifferences, weightedSum } from './gradcheck';
import { TEST_K, expectBitExact, sumTolerance, testWeight } from './qfixtures';
import { runBackward } from './qrun';

// Tiled (GPUs) and direct (CPU adapters, no workgroup memory); both run on any adapter when asked for.
describe.each(['tiled', 'direct'] as const)('%s backward through a frozen quantized weight (dX = dY·W)', (kernel) => {
  QUANT_FORMATS.forEach((format, f) => {
    const K = TEST_K[format];

    it(`${format}: decodes every weight value bit-exactly (dY = identity)`, async () => {
      const seed = 700 + f;
      const { got, want } = await runBackward(format, { M: 37, N: 37, K }, seed, { identityDy: true, kernel });
      expectBitExact(got, want, `${format} seed ${seed}`);
    });

    // N = 45 is not a multiple of the 32-row reduction step; M = 1, 3 and 70 straddle the 64-row tile.
    for (const M of [1, 3, 70]) {
      it(`${format}: matches dY·W in f64 for M=${M}, N=45`, async () => {
        const seed = 800 + f * 10 + M;
        const { got, want } = await runBackward(format, { M, N: 45, K }, seed, { kernel });
        // The reduction runs over N = 45 products, so the sum tolerance uses N, not K.
        expectAllClose(got, want, sumTolerance(45), `${format} M=${M} N=45 K=${K} seed ${seed}`);
      });
    }
  });

  it('adds into the existing dX when accumulating (LoRA paths share dX)', async () => {
    const seed = 900;
    const { got, want } = await runBackward('Q6_K', { M: 5, N: 33, K: 256 }, seed, { accumulate: true, kernel });
    expectAllClose(got, want, sumTolerance(33), `Q6_K accumulate seed ${seed}`);
  });

  for (const format of ['Q4_0', 'Q6_K'] as QuantFormat[]) {
    it(`${format}: dX agrees with central finite differences of the forward kernel`, async () => {
      const gpu = await testGpu();
      const seed = 950 + (format === 'Q4_0' ? 0 : 1);
      const M = 3;
      const N = 21;
      const K = TEST_K[format];
      const { weight } = testWeight(gpu, format, N, K, seed);
      const x = randomF32(M * K, seed + 1);
      // L(X) = Σ g ⊙ (X·Wᵀ) with fixed random g, so dL/dX = g·W: the backward kernel fed dY = g.
      const g = randomF32(M * N, seed + 2);
      const bufY = gpu.alloc(M * N * 4, { label: 'Y' });
      const loss = async (probe: Float32Array): Promise<number> => {
        const bufX = gpu.upload(probe, { label: 'X' });
        const rec = gpu.recorder();
        quantizedMatmul(rec, bufX, weight, bufY, { M, kernel });
        rec.submit();
        const y = await gpu.readF32(bufY, M * N);
        gpu.buffers.free(bufX);
        return weightedSum(y, g);
      };
      const bufG = gpu.upload(g, { label: 'dY' });
      const bufDx = gpu.alloc(M * K * 4, { label: 'dX' });
      const rec = gpu.recorder();
      quantizedMatmulBackward(rec, bufG, weight, bufDx, { M, kernel });
      rec.submit();
      const grad = await gpu.readF32(bufDx, M * K);
      await expectGradientMatchesFiniteDifferences({ x, grad, loss, seed, context: `${format} M=${M} N=${N} K=${K}` });
      for (const t of [bufY, bufG, bufDx]) gpu.buffers.free(t);
      freeQuantizedWeight(gpu, weight);
    });
  }
});

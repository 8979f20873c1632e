import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { manyRowKernel } from '../../src/kernels/qmatmul';
import { QUANT_FORMATS } from '../../src/kernels/quantWeight';
import { expectAllClose } from './compare';
import { TEST_K, expectBitExact, sumTolerance } from './qfixtures';
import { runForward } from './qrun';

// The two many-row kernels: tiled (GPUs, up to 64×64 output tiles in workgroup memory) and direct (CPU adapters,
// 32 rows × 16 columns per workgroup, no workgroup memory). Both run on any adapter when asked for.
describe.each(['tiled', 'direct'] as const)('%s quantized matmul (prefill and training)', (kernel) => {
  QUANT_FORMATS.forEach((format, f) => {
    const K = TEST_K[format];

    it(`${format}: decodes every weight value bit-exactly (X = identity, M = K)`, async () => {
      const seed = 400 + f;
      const { got, want } = await runForward(format, kernel, { M: K, N: 67, K }, seed, { identityX: true });
      expectBitExact(got, want, `${format} seed ${seed}`);
    });

    // The wrapper sizes the tiled kernel's tile to M (8, 16, 32 or 64 rows: tiledThreadRows): M = 1 and 17 leave most
    // of an 8- and a 32-row tile empty, M = 70 spills into a second 64-row tile; N = 67 / 5 straddle a 64-column
    // tile. The same sizes leave the direct kernel's 8-row, 4-column thread blocks partly past the edge.
    for (const [M, N] of [
      [1, 67],
      [17, 5],
      [70, 67],
    ] as const) {
      it(`${format}: matches dequantise-then-f64 for M=${M}, N=${N}`, async () => {
        const seed = 500 + f * 10 + M;
        const { got, want } = await runForward(format, kernel, { M, N, K }, seed);
        expectAllClose(got, want, sumTolerance(K), `${format} M=${M} N=${N} K=${K} seed ${seed}`);
      });
    }
  });

  it('adds into the existing Y when accumulating', async () => {
    const seed = 600;
    const { got, want } = await runForward('Q4_K', kernel, { M: 9, N: 70, K: 256 }, seed, { accumulate: true });
    expectAllClose(got, want, sumTolerance(256), `Q4_K accumulate seed ${seed}`);
  });

  it('runs 16-row tiles (M = 12: two thread rows) for a block format', async () => {
    const seed = 602;
    const { got, want } = await runForward('Q4_0', kernel, { M: 12, N: 67, K: 96 }, seed);
    expectAllClose(got, want, sumTolerance(96), `Q4_0 M=12 seed ${seed}`);
  });

  it('handles F32 rows whose length is not a multiple of the 32-value K step', async () => {
    const seed = 601;
    const { got, want } = await runForward('F32', kernel, { M: 5, N: 11, K: 48 }, seed);
    expectAllClose(got, want, sumTolerance(48), `F32 K=48 seed ${seed}`);
  });
});

describe('the many-row kernel an adapter gets', () => {
  it('is direct on this CPU adapter for rows up to 1,024 values, tiled beyond (where decoding once per 64 rows wins)', async () => {
    const rec = (await testGpu()).recorder();
    expect(manyRowKernel(rec, 128)).toBe('direct');
    expect(manyRowKernel(rec, 1024)).toBe('direct');
    expect(manyRowKernel(rec, 4096)).toBe('tiled');
  });
});

import { describe, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import { matvecScratchBytes, quantizedMatmul, type MatvecDot } from '../../src/kernels/qmatmul';
import { freeQuantizedWeight, type QuantizedWeight } from '../../src/kernels/quantWeight';
import { expectAllClose } from './compare';
import { MATVEC_LAYOUTS, expectBitExact, sumTolerance, testWeight } from './qfixtures';
import { runForward } from './qrun';

// Q4_0 and Q8_0 rows of a whole number of block pairs (K % 64 == 0): the matvec kernel reads two blocks per unit
// from a word boundary (PAIRED in shaders/qmatvec.wgsl). The other tests' K for these formats is an odd number of
// blocks, the single-block path; these hold the paired one to the same contracts.

/** 5 pairs of blocks: more units than the 4-thread layouts have threads, not a multiple of them. */
const K = 64 * 5;
const DOTS: MatvecDot[] = ['f32', 'i8-pairs', 'i8-packed'];

/** Y = X·Wᵀ through the matvec kernel with `dot`, for the M rows of x. */
async function matvec(x: Float32Array, M: number, weight: QuantizedWeight, dot: MatvecDot): Promise<Float32Array> {
  const gpu = await testGpu();
  const bufX = gpu.upload(x.subarray(0, M * K), { label: 'X' });
  const bufY = gpu.alloc(M * weight.N * 4, { label: 'Y' });
  const scratch = gpu.alloc(matvecScratchBytes(M, K), { label: 'XQ' });
  try {
    const rec = gpu.recorder();
    quantizedMatmul(rec, bufX, weight, bufY, { M, kernel: 'matvec', matvecDot: dot, activationScratch: scratch });
    rec.submit();
    return await gpu.readF32(bufY, M * weight.N);
  } finally {
    for (const b of [bufX, bufY, scratch]) gpu.buffers.free(b);
  }
}

describe('quantized matvec over Q4_0 and Q8_0 rows of whole block pairs', () => {
  (['Q4_0', 'Q8_0'] as const).forEach((format, f) => {
    DOTS.forEach((dot, d) => {
      for (const { threads, splitK } of MATVEC_LAYOUTS) {
        it(`${format} ${dot}, ${threads} threads ${splitK ? 'splitting K' : 'on whole rows'}: matches the reference, M=3, N=13`, async () => {
          const seed = 1500 + 100 * f + 10 * d + threads + (splitK ? 1 : 0);
          const options = { matvecDot: dot, matvecThreads: threads, matvecSplitK: splitK };
          const { got, want } = await runForward(format, 'matvec', { M: 3, N: 13, K }, seed, options);
          expectAllClose(got, want, sumTolerance(K), `${format} ${dot} threads ${threads} split ${splitK} seed ${seed}`);
        });
      }

      it(`${format} ${dot}: each row of a 7-row product is the bits of that row alone`, async () => {
        const gpu = await testGpu();
        const seed = 1600 + 10 * f + d;
        const { weight } = testWeight(gpu, format, 11, K, seed);
        const x = randomF32(7 * K, seed + 1);
        try {
          const together = await matvec(x, 7, weight, dot);
          for (let m = 0; m < 7; m++) {
            const alone = await matvec(x.subarray(m * K), 1, weight, dot);
            expectBitExact(together.subarray(m * 11, (m + 1) * 11), alone, `${format} ${dot} row ${m} seed ${seed}`);
          }
        } finally {
          freeQuantizedWeight(gpu, weight);
        }
      });
    });
  });
});

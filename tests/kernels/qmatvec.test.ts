import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { LabError } from '../../src/errors';
import { quantizedMatmul } from '../../src/kernels/qmatmul';
import { QUANT_FORMATS, freeQuantizedWeight } from '../../src/kernels/quantWeight';
import { expectAllClose } from './compare';
import { MATVEC_LAYOUTS, TEST_K, expectBitExact, sumTolerance, testWeight } from './qfixtures';
import { runForward } from './qrun';

describe('quantized matrix-vector kernel (decode and short batches)', () => {
  QUANT_FORMATS.forEach((format, f) => {
    const K = TEST_K[format];

    it(`${format}: decodes every weight value bit-exactly (X = identity)`, async () => {
      const seed = 100 + f;
      const { got, want } = await runForward(format, 'matvec', { M: K, N: 6, K }, seed, { identityX: true });
      expectBitExact(got, want, `${format} seed ${seed}`);
    });

    for (const [M, N] of [
      [1, 13],
      [3, 70],
    ] as const) {
      it(`${format}: matches dequantise-then-f64 for M=${M}, N=${N} (N not a multiple of 4 rows)`, async () => {
        const seed = 200 + f * 10 + M;
        const { got, want } = await runForward(format, 'matvec', { M, N, K }, seed);
        expectAllClose(got, want, sumTolerance(K), `${format} M=${M} N=${N} K=${K} seed ${seed}`);
      });
    }

    it(`${format}: converting quant bytes as u32 (the earlier unpacking) or as i32 gives the same bits`, async () => {
      const seed = 300 + f;
      const shape = { M: 3, N: 13, K };
      const signed = await runForward(format, 'matvec', shape, seed, { matvecUnpack: 'signed' });
      const unsigned = await runForward(format, 'matvec', shape, seed, { matvecUnpack: 'unsigned' });
      expectBitExact(signed.got, unsigned.got, `${format} M=3 N=13 K=${K} seed ${seed}`);
      expectAllClose(signed.got, signed.want, sumTolerance(K), `${format} vs reference, seed ${seed}`);
    });

    // Units of work per row: 37 blocks of 32 (Q4_0, Q8_0), 36 quarter super-blocks (Q4_K, Q6_K), 37 runs of 8
    // (F32, F16): more than either workgroup shape has threads, and not a multiple of 32 (nor of 4 where the
    // format allows), so some threads take one unit more than others.
    const longK = format === 'Q4_K' || format === 'Q6_K' ? 256 * 9 : format === 'Q4_0' || format === 'Q8_0' ? 32 * 37 : 8 * 37;
    for (const { threads, splitK } of MATVEC_LAYOUTS) {
      const how = splitK ? `split a ${longK}-value row unevenly` : `each sum whole ${longK}-value rows (N = 5: 2 column groups)`;
      it(`${format}: ${threads} threads per workgroup ${how} and still match`, async () => {
        const seed = 400 + f * 10 + threads;
        const options = { matvecThreads: threads, matvecSplitK: splitK };
        const { got, want } = await runForward(format, 'matvec', { M: 2, N: 5, K: longK }, seed, options);
        expectAllClose(got, want, sumTolerance(longK), `${format} K=${longK} threads ${threads} split ${splitK} seed ${seed}`);
      });
    }
  });

  it('adds into the existing Y when accumulating', async () => {
    const seed = 300;
    const { got, want } = await runForward('Q4_0', 'matvec', { M: 2, N: 9, K: 64 }, seed, { accumulate: true });
    expectAllClose(got, want, sumTolerance(64), `Q4_0 accumulate seed ${seed}`);
  });

  it('refuses M = 0 and more activation rows than one grid dimension holds, naming the weight', async () => {
    const gpu = await testGpu();
    const { weight } = testWeight(gpu, 'Q8_0', 4, 32, 301);
    const buf = gpu.alloc(64, { label: 'unused' });
    const rec = gpu.recorder();
    expect(() => quantizedMatmul(rec, buf, weight, buf, { M: 0 })).toThrow(LabError);
    // A workgroup takes 8 activation rows: one row more than 8 × the grid's limit needs one workgroup too many.
    const tooMany = 8 * gpu.limits.maxComputeWorkgroupsPerDimension + 1;
    expect(() => quantizedMatmul(rec, buf, weight, buf, { M: tooMany, kernel: 'matvec' })).toThrow(/Q8_0 test weight.*workgroups/);
    expect(rec.length).toBe(0);
    gpu.buffers.free(buf);
    freeQuantizedWeight(gpu, weight);
  });
});

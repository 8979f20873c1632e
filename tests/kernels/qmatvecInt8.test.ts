import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import { LabError } from '../../src/errors';
import { matvecScratchBytes, quantizedMatmul, type MatvecDot } from '../../src/kernels/qmatmul';
import { freeQuantizedWeight, type QuantFormat, type QuantizedWeight } from '../../src/kernels/quantWeight';
import { quantizedMatmulReference } from '../../src/kernels/reference/qmatmul';
import { rmsNormReference } from '../../src/kernels/reference/rmsnorm';
import { dequantizeActivations, quantizeActivationsReference } from '../../src/kernels/reference/quantizeActivations';
import { expectAllClose } from './compare';
import { MATVEC_LAYOUTS, TEST_K, expectBitExact, sumTolerance, testWeight } from './qfixtures';
import { runForward } from './qrun';

// The matvec kernel's 8-bit dot products (DOT_I8_* in shaders/qmatvec.wgsl). Their contract: the product of the
// weights with the activations as shaders/quantize_activations.wgsl rounds them (per 32-value block, to multiples of
// max|x|/127), summed exactly in integers per block, so within f32 rounding of that reference and within half a
// quantization step per value of the f32-activation product; each row quantized and summed alone, so a row of a
// batched product is bit-identical to the same row computed alone.

const FORMATS: QuantFormat[] = ['Q4_0', 'Q8_0', 'Q4_K', 'Q6_K'];
const DOTS: MatvecDot[] = ['i8-pairs', 'i8-packed'];

/** N = 11 leaves the last 4-column workgroup part empty. */
const N = 11;

/** Y = X·Wᵀ through the matvec kernel with `dot` for the M rows of x, on an uploaded weight (and norm weight). */
async function matvec(
  x: Float32Array,
  M: number,
  weight: QuantizedWeight,
  dot: MatvecDot,
  normWeight?: Float32Array,
): Promise<Float32Array> {
  const gpu = await testGpu();
  const bufX = gpu.upload(x.subarray(0, M * weight.K), { label: 'X' });
  const bufNorm = normWeight && gpu.upload(normWeight, { label: 'norm weight' });
  const bufY = gpu.alloc(M * weight.N * 4, { label: 'Y' });
  const scratch = gpu.alloc(matvecScratchBytes(M, weight.K), { label: 'XQ' });
  try {
    const rec = gpu.recorder();
    const norm = bufNorm && { weight: bufNorm, eps: 1e-5 };
    quantizedMatmul(rec, bufX, weight, bufY, { M, kernel: 'matvec', matvecDot: dot, activationScratch: scratch, norm });
    rec.submit();
    return await gpu.readF32(bufY, M * weight.N);
  } finally {
    for (const b of [bufX, bufY, scratch, bufNorm]) if (b) gpu.buffers.free(b);
  }
}

describe('quantized matvec with 8-bit activations (integer dot products)', () => {
  FORMATS.forEach((format, f) => {
    const K = TEST_K[format];

    DOTS.forEach((dot, d) => {
      it(`${format} ${dot}: matches the product with the activations quantized as the kernel does, M=3, N=13`, async () => {
        const seed = 1000 + 10 * f + d;
        const { got, want } = await runForward(format, 'matvec', { M: 3, N: 13, K }, seed, { matvecDot: dot });
        expectAllClose(got, want, sumTolerance(K), `${format} ${dot} K=${K} seed ${seed}`);
      });
    });

    // 36 or 37 units per row, more than either workgroup shape has threads and not a multiple of them.
    const longK = format === 'Q4_K' || format === 'Q6_K' ? 256 * 9 : 32 * 37;
    for (const { threads, splitK } of MATVEC_LAYOUTS) {
      const how = splitK ? `split a ${longK}-value row unevenly` : `each sum whole ${longK}-value rows`;
      it(`${format} i8-pairs: ${threads} threads per workgroup ${how} and still match`, async () => {
        const seed = 1100 + f * 10 + threads;
        const shape = { M: 2, N: 5, K: longK };
        const options = { matvecDot: 'i8-pairs' as const, matvecThreads: threads, matvecSplitK: splitK };
        const { got, want } = await runForward(format, 'matvec', shape, seed, options);
        expectAllClose(got, want, sumTolerance(longK), `${format} K=${longK} threads ${threads} split ${splitK} seed ${seed}`);
      });
    }

    it(`${format} i8-pairs: within half a quantization step per value of the f32-activation product`, async () => {
      const gpu = await testGpu();
      const seed = 1200 + f;
      const M = 3;
      const { weight, decoded } = testWeight(gpu, format, N, K, seed);
      const x = randomF32(M * K, seed + 1).map((v, i) => v * (1 + (i % 5)));
      try {
        const got = await matvec(x, M, weight, 'i8-pairs');
        const exact = quantizedMatmulReference(x, decoded, M, N, K);
        const { d } = quantizeActivationsReference(x, M, K);
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let bound = sumTolerance(K).atol;
            for (let k = 0; k < K; k++) bound += (d[(m * K + k) >> 5] / 2) * Math.abs(decoded[n * K + k]);
            const diff = Math.abs(got[m * N + n] - exact[m * N + n]);
            expect(diff, `${format} row ${m} column ${n} seed ${seed}`).toBeLessThanOrEqual(bound);
          }
        }
      } finally {
        freeQuantizedWeight(gpu, weight);
      }
    });

    it(`${format} i8-pairs: every row of an 8-row product is bit-identical to that row alone or among 3`, async () => {
      const gpu = await testGpu();
      const seed = 1300 + f;
      const { weight } = testWeight(gpu, format, N, K, seed);
      const x = randomF32(8 * K, seed + 1);
      try {
        const all = await matvec(x, 8, weight, 'i8-pairs');
        for (let r = 0; r < 8; r++) {
          const alone = await matvec(x.subarray(r * K, (r + 1) * K), 1, weight, 'i8-pairs');
          expectBitExact(all.subarray(r * N, (r + 1) * N), alone, `${format} row ${r} of 8 vs alone, seed ${seed}`);
        }
        const three = await matvec(x.subarray(5 * K), 3, weight, 'i8-pairs');
        expectBitExact(all.subarray(5 * N), three, `${format} rows 5..7 of 8 vs a 3-row product, seed ${seed}`);
      } finally {
        freeQuantizedWeight(gpu, weight);
      }
    }, 60_000);

    it(`${format} i8-pairs with the RMSNorm prologue: rstd times the product with x·w quantized`, async () => {
      const gpu = await testGpu();
      const seed = 1400 + f;
      const M = 3;
      const { weight, decoded } = testWeight(gpu, format, N, K, seed);
      const x = randomF32(M * K, seed + 1).map((v) => 7 * v);
      const normW = randomF32(K, seed + 2);
      try {
        const got = await matvec(x, M, weight, 'i8-pairs', normW);
        const { rstd } = rmsNormReference(x, normW, M, K, 1e-5);
        const scaled = x.map((v, i) => Math.fround(v * normW[i % K]));
        const product = quantizedMatmulReference(dequantizeActivations(quantizeActivationsReference(scaled, M, K)), decoded, M, N, K);
        const want = product.map((v, i) => v * rstd[Math.floor(i / N)]);
        expectAllClose(got, want, sumTolerance(K), `${format} norm seed ${seed}`);
      } finally {
        freeQuantizedWeight(gpu, weight);
      }
    });
  });

  it('refuses an 8-bit dot product without a large enough scratch, or with F32 weights, recording nothing', async () => {
    const gpu = await testGpu();
    const q = testWeight(gpu, 'Q4_0', 4, 64, 1500).weight;
    const f32 = testWeight(gpu, 'F32', 4, 64, 1501).weight;
    const buf = gpu.alloc(64 * 4, { label: 'X' });
    const small = gpu.alloc(matvecScratchBytes(2, 64) - 4, { label: 'small scratch' });
    const rec = gpu.recorder();
    try {
      expect(() => quantizedMatmul(rec, buf, q, buf, { M: 1, matvecDot: 'i8-pairs' })).toThrow(
        /Q4_0 test weight.*0 bytes of quantized activations/,
      );
      expect(() => quantizedMatmul(rec, buf, q, buf, { M: 2, matvecDot: 'i8-pairs', activationScratch: small })).toThrow(LabError);
      expect(() => quantizedMatmul(rec, buf, f32, buf, { M: 1, matvecDot: 'i8-packed', activationScratch: small })).toThrow(
        /F32 test weight.*with F32 weights/,
      );
      expect(rec.length).toBe(0);
    } finally {
      for (const b of [buf, small]) gpu.buffers.free(b);
      freeQuantizedWeight(gpu, q);
      freeQuantizedWeight(gpu, f32);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import { matvecScratchBytes, quantizedMatmul, type MatvecDot, type MatvecNorm } from '../../src/kernels/qmatmul';
import { stackedSwiglu } from '../../src/kernels/qmatvecStacked';
import { swiglu } from '../../src/kernels/swiglu';
import { QUANT_FORMATS, freeQuantizedWeight, type QuantFormat } from '../../src/kernels/quantWeight';
import { quantizedMatmulReference } from '../../src/kernels/reference/qmatmul';
import { swigluReference } from '../../src/kernels/reference/swiglu';
import { LabError } from '../../src/errors';
import { expectAllClose } from './compare';
import { TEST_K, expectBitExact, testStack } from './qfixtures';

// The matvec kernel's SwiGLU epilogue over a stacked gate and up weight: hidden = silu(X·Wgateᵀ)·(X·Wupᵀ) in one
// dispatch, where inference ran the gate and up projections and then shaders/swiglu.wgsl. Its contract is
// bit-identity with those three dispatches (the parity and batch-decode tests rely on it), so each case checks that
// first and the f64 reference second.

/** N = 11: the last 2-column workgroup has one column. */
const N = 11;
const EPS = 1e-5;

interface Run {
  fused: Float32Array;
  separate: Float32Array;
  /** The f64 reference (without the norm). */
  want: Float32Array;
  dispatches: number;
}

/**
 * Gate and up projections of M rows, stacked and alone; with `norm`, of rmsnorm(X) folded into the products; with
 * `dot`, both through that 8-bit dot product (the activations quantized into a scratch).
 */
async function runBoth(
  format: QuantFormat,
  M: number,
  seed: number,
  options: { norm?: boolean; threads?: number; dot?: MatvecDot } = {},
): Promise<Run> {
  const gpu = await testGpu();
  const K = TEST_K[format];
  const { stack, alone } = testStack(gpu, format, [N, N], K, seed);
  const x = randomF32(M * K, seed + 2);
  const bufX = gpu.upload(x, { label: 'X' });
  const normWeight = gpu.upload(randomF32(K, seed + 3), { label: 'norm weight' });
  const norm: MatvecNorm | undefined = options.norm ? { weight: normWeight, eps: EPS } : undefined;
  const gate = gpu.alloc(M * N * 4, { label: 'gate' });
  const up = gpu.alloc(M * N * 4, { label: 'up' });
  const separate = gpu.alloc(M * N * 4, { label: 'hidden (separate)' });
  const fused = gpu.alloc(M * N * 4, { label: 'hidden (fused)' });
  const scratch = gpu.alloc(matvecScratchBytes(M, K), { label: 'XQ' });
  try {
    const rec = gpu.recorder();
    // A given thread count is a GPU's workgroup, whose threads split K.
    const layout = options.threads === undefined ? {} : { matvecThreads: options.threads, matvecSplitK: true };
    const dot = { ...layout, matvecDot: options.dot, activationScratch: options.dot && scratch };
    quantizedMatmul(rec, bufX, alone[0].weight, gate, { M, norm, ...dot });
    quantizedMatmul(rec, bufX, alone[1].weight, up, { M, norm, ...dot });
    swiglu(rec, gate, up, separate, M * N);
    const before = rec.dispatchCount;
    stackedSwiglu(rec, bufX, stack, fused, { M, norm, ...dot });
    const dispatches = rec.dispatchCount - before;
    rec.submit();
    const [g, u] = alone.map((w) => quantizedMatmulReference(x, w.decoded, M, N, K));
    return {
      fused: await gpu.readF32(fused, M * N),
      separate: await gpu.readF32(separate, M * N),
      want: swigluReference(g, u),
      dispatches,
    };
  } finally {
    for (const b of [bufX, normWeight, gate, up, separate, fused, scratch, stack.buffer]) gpu.buffers.free(b);
    for (const w of alone) freeQuantizedWeight(gpu, w.weight);
  }
}

describe('quantized matvec with the SwiGLU epilogue over stacked gate and up (three dispatches in one)', () => {
  QUANT_FORMATS.forEach((format, f) => {
    it(`${format}: M = 1, 3, 8 give gate + up + swiglu's bits, and match the f64 reference`, async () => {
      for (const M of [1, 3, 8]) {
        const seed = 900 + 10 * f + M;
        const run = await runBoth(format, M, seed);
        const context = `${format} M=${M} N=${N} K=${TEST_K[format]} seed ${seed}`;
        expect(run.dispatches, context).toBe(1);
        expectBitExact(run.fused, run.separate, `fused vs gate + up + swiglu, ${context}`);
        // silu(g)·u: |silu'| ≤ 1.1 and |u|, |g| ≤ K, so the projections' rounding (1e-6·K) grows by at most ~2K.
        const K = TEST_K[format];
        expectAllClose(run.fused, run.want, { atol: 2e-6 * K * K + 1e-5, rtol: 1e-4 }, `fused vs reference, ${context}`);
        expect(
          run.fused.some((v) => v !== 0),
          context,
        ).toBe(true);
      }
    }, 60_000);
  });

  it('with the RMSNorm prologue and 32 threads (a GPU workgroup), still the bits of the separate products', async () => {
    for (const [i, format] of (['Q4_0', 'Q4_K'] as const).entries()) {
      const seed = 960 + i;
      const run = await runBoth(format, 3, seed, { norm: true, threads: 32 });
      expectBitExact(run.fused, run.separate, `${format} normed, seed ${seed}`);
    }
  }, 60_000);

  it('with the 8-bit dot products: one quantization shared by gate and up, the bits of the separate 8-bit products', async () => {
    const cases = [
      ['Q4_0', 'i8-pairs'],
      ['Q8_0', 'i8-packed'],
      ['Q4_K', 'i8-pairs'],
      ['Q6_K', 'i8-packed'],
    ] as const;
    for (const [i, [format, dot]] of cases.entries()) {
      for (const norm of [false, true]) {
        const seed = 970 + 2 * i + (norm ? 1 : 0);
        const run = await runBoth(format, 3, seed, { norm, dot });
        const context = `${format} ${dot} norm=${norm} seed ${seed}`;
        expect(run.dispatches, `quantization and product, ${context}`).toBe(2);
        expectBitExact(run.fused, run.separate, `fused vs gate + up + swiglu, ${context}`);
      }
    }
  }, 60_000);

  it('refuses more than 8 rows and a stack that is not gate and up', async () => {
    const gpu = await testGpu();
    const { stack, alone } = testStack(gpu, 'Q4_0', [N, N, N], TEST_K.Q4_0, 995);
    const buf = gpu.alloc(16 * TEST_K.Q4_0 * 4, { label: 'scratch' });
    try {
      const rec = gpu.recorder();
      expect(() => stackedSwiglu(rec, buf, stack, buf, { M: 1 })).toThrow(LabError);
      const pair = { ...stack, sections: stack.sections.slice(0, 2) };
      expect(() => stackedSwiglu(rec, buf, pair, buf, { M: 9 })).toThrow(LabError);
      expect(rec.dispatchCount).toBe(0);
    } finally {
      gpu.buffers.free(buf);
      gpu.buffers.free(stack.buffer);
      for (const w of alone) freeQuantizedWeight(gpu, w.weight);
    }
  });
});

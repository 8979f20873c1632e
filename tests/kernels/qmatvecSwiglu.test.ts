import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import { quantizedMatmul } from '../../src/kernels/qmatmul';
import { swiglu } from '../../src/kernels/swiglu';
import { QUANT_FORMATS, freeQuantizedWeight, type QuantFormat } from '../../src/kernels/quantWeight';
import { quantizedMatmulReference } from '../../src/kernels/reference/qmatmul';
import { swigluReference } from '../../src/kernels/reference/swiglu';
import { LabError } from '../../src/errors';
import { expectAllClose } from './compare';
import { TEST_K, expectBitExact, testWeight } from './qfixtures';

// The matvec kernel's SwiGLU epilogue: hidden = silu(gate)·(X·Wupᵀ) in the up projection's dispatch, where inference
// ran the up projection and then shaders/swiglu.wgsl. Its contract is bit-identity with those two dispatches, which
// the parity and batch-decode tests measured, so each case checks that first and the f64 reference second.

/** N = 11 leaves the last 4-column workgroup part empty. */
const N = 11;

interface Run {
  fused: Float32Array;
  separate: Float32Array;
  /** The f64 reference. */
  want: Float32Array;
  /** Dispatches of the fused product. */
  dispatches: number;
}

/** Gate and up projections of M rows; hidden through the fused epilogue and through up + swiglu. */
async function runBoth(format: QuantFormat, M: number, seed: number, maxBindingBytes?: number): Promise<Run> {
  const gpu = await testGpu();
  const K = TEST_K[format];
  const gateW = testWeight(gpu, format, N, K, seed, maxBindingBytes);
  const upW = testWeight(gpu, format, N, K, seed + 1, maxBindingBytes);
  const x = randomF32(M * K, seed + 2);
  const bufX = gpu.upload(x, { label: 'X' });
  const gate = gpu.alloc(M * N * 4, { label: 'gate' });
  const up = gpu.alloc(M * N * 4, { label: 'up' });
  const separate = gpu.alloc(M * N * 4, { label: 'hidden (separate)' });
  const fused = gpu.alloc(M * N * 4, { label: 'hidden (fused)' });
  try {
    const rec = gpu.recorder();
    quantizedMatmul(rec, bufX, gateW.weight, gate, { M });
    quantizedMatmul(rec, bufX, upW.weight, up, { M });
    swiglu(rec, gate, up, separate, M * N);
    const before = rec.dispatchCount;
    quantizedMatmul(rec, bufX, upW.weight, fused, { M, epilogue: { kind: 'swiglu', gate } });
    const dispatches = rec.dispatchCount - before;
    rec.submit();
    const want = swigluReference(quantizedMatmulReference(x, gateW.decoded, M, N, K), quantizedMatmulReference(x, upW.decoded, M, N, K));
    return {
      fused: await gpu.readF32(fused, M * N),
      separate: await gpu.readF32(separate, M * N),
      want,
      dispatches,
    };
  } finally {
    for (const b of [bufX, gate, up, separate, fused]) gpu.buffers.free(b);
    freeQuantizedWeight(gpu, gateW.weight);
    freeQuantizedWeight(gpu, upW.weight);
  }
}

describe('quantized matvec with the SwiGLU epilogue (up projection and SwiGLU in one dispatch)', () => {
  QUANT_FORMATS.forEach((format, f) => {
    it(`${format}: M = 1, 3, 8 give up + swiglu's bits, and match the f64 reference`, async () => {
      for (const M of [1, 3, 8]) {
        const seed = 900 + 10 * f + M;
        const run = await runBoth(format, M, seed);
        const context = `${format} M=${M} N=${N} K=${TEST_K[format]} seed ${seed}`;
        expect(run.dispatches, context).toBe(1);
        expectBitExact(run.fused, run.separate, `fused vs up + swiglu, ${context}`);
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

  it('applies the epilogue to each part of a weight split across bindings', async () => {
    const format = 'Q4_0';
    const seed = 990;
    // 4 rows of 96 Q4_0 values (54 bytes each) per binding (planRowSplit keeps 8 bytes spare): 11 rows in 3 parts.
    const run = await runBoth(format, 2, seed, 4 * 54 + 8);
    expect(run.dispatches).toBe(3);
    expectBitExact(run.fused, run.separate, `split Q4_0 weight, seed ${seed}`);
  });

  it('refuses an epilogue on the tiled kernel or with accumulation', async () => {
    const gpu = await testGpu();
    const { weight } = testWeight(gpu, 'Q4_0', N, TEST_K.Q4_0, 995);
    const buf = gpu.alloc(16 * TEST_K.Q4_0 * 4, { label: 'scratch' });
    try {
      const rec = gpu.recorder();
      const epilogue = { kind: 'swiglu' as const, gate: buf };
      expect(() => quantizedMatmul(rec, buf, weight, buf, { M: 16, epilogue })).toThrow(LabError);
      expect(() => quantizedMatmul(rec, buf, weight, buf, { M: 1, accumulate: true, epilogue })).toThrow(LabError);
      expect(rec.dispatchCount).toBe(0);
    } finally {
      gpu.buffers.free(buf);
      freeQuantizedWeight(gpu, weight);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import { quantizedMatmul } from '../../src/kernels/qmatmul';
import { biasAdd } from '../../src/kernels/biasAdd';
import { QUANT_FORMATS, freeQuantizedWeight, type QuantFormat } from '../../src/kernels/quantWeight';
import { quantizedMatmulReference } from '../../src/kernels/reference/qmatmul';
import { expectAllClose } from './compare';
import { TEST_K, expectBitExact, sumTolerance, testWeight } from './qfixtures';

// The matvec kernel's bias epilogue: Y = X·Wᵀ + b in one dispatch (Qwen2's q, k, v), where inference ran the
// projection and then shaders/bias_add.wgsl. Its contract is bit-identity with those two dispatches.

/** N = 11 leaves the last 4-column workgroup part empty. */
const N = 11;

async function runBoth(format: QuantFormat, M: number, seed: number, maxBindingBytes?: number) {
  const gpu = await testGpu();
  const K = TEST_K[format];
  const { weight, decoded } = testWeight(gpu, format, N, K, seed, maxBindingBytes);
  const x = randomF32(M * K, seed + 1);
  const bias = randomF32(N, seed + 2);
  const bufX = gpu.upload(x, { label: 'X' });
  const bufBias = gpu.upload(bias, { label: 'bias' });
  const separate = gpu.alloc(M * N * 4, { label: 'Y (separate)' });
  const fused = gpu.alloc(M * N * 4, { label: 'Y (fused)' });
  try {
    const rec = gpu.recorder();
    quantizedMatmul(rec, bufX, weight, separate, { M });
    biasAdd(rec, separate, bufBias, { rows: M, n: N });
    const before = rec.dispatchCount;
    quantizedMatmul(rec, bufX, weight, fused, { M, epilogue: { kind: 'bias', bias: bufBias } });
    const dispatches = rec.dispatchCount - before;
    rec.submit();
    const want = quantizedMatmulReference(x, decoded, M, N, K).map((v, i) => v + bias[i % N]);
    return { fused: await gpu.readF32(fused, M * N), separate: await gpu.readF32(separate, M * N), want, dispatches };
  } finally {
    for (const b of [bufX, bufBias, separate, fused]) gpu.buffers.free(b);
    freeQuantizedWeight(gpu, weight);
  }
}

describe('quantized matvec with the bias epilogue (projection and bias add in one dispatch)', () => {
  QUANT_FORMATS.forEach((format, f) => {
    it(`${format}: M = 1, 5 give the projection + bias_add's bits, and match the f64 reference`, async () => {
      for (const M of [1, 5]) {
        const seed = 1500 + 10 * f + M;
        const run = await runBoth(format, M, seed);
        const context = `${format} M=${M} N=${N} seed ${seed}`;
        expect(run.dispatches, context).toBe(1);
        expectBitExact(run.fused, run.separate, `fused vs projection + bias_add, ${context}`);
        expectAllClose(run.fused, run.want, sumTolerance(TEST_K[format]), `fused vs reference, ${context}`);
      }
    }, 60_000);
  });

  it('adds each part its own columns of the bias when the weight is split across bindings', async () => {
    const seed = 1590;
    // 4 rows of 96 Q4_0 values (54 bytes each) per binding (planRowSplit keeps 8 bytes spare): 11 rows in 3 parts.
    const run = await runBoth('Q4_0', 2, seed, 4 * 54 + 8);
    expect(run.dispatches).toBe(3);
    expectBitExact(run.fused, run.separate, `split Q4_0 weight, seed ${seed}`);
  });
});

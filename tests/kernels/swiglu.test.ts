import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { swiglu, swigluBackward } from '../../src/kernels/swiglu';
import { swigluBackwardReference, swigluReference } from '../../src/kernels/reference/swiglu';
import { randomF32 } from '../../src/util/random';
import { expectAllClose } from './compare';
import { expectGradientMatchesFiniteDifferences, weightedSum } from './gradcheck';
import { activationPrecisions, readActivation, roundToActivation, uploadActivation } from './activations';
import type { ActivationPrecision } from '../../src/gpu/shaderLibrary';

// f32: exp is accurate to a few ulp and the products add a few more; values reach |g·up| ≈ 6, so 1e-5 absolute
// plus 1e-5 relative leaves room. f16: the output is rounded to 2^-11 relative.
const TOLERANCE = { f32: { atol: 1e-5, rtol: 1e-5 }, f16: { atol: 4e-3, rtol: 2e-3 } };

const gpu = await testGpu();

async function forward(gate: Float32Array, up: Float32Array, precision: ActivationPrecision): Promise<Float32Array> {
  const n = gate.length;
  const bufs = [
    uploadActivation(gpu, gate, precision, 'gate'),
    uploadActivation(gpu, up, precision, 'up'),
    gpu.alloc(n * 4, { label: 'out' }),
  ];
  const rec = gpu.recorder();
  swiglu(rec, bufs[0], bufs[1], bufs[2], n, { precision });
  rec.submit();
  const out = await readActivation(gpu, bufs[2], n, precision);
  bufs.forEach((b) => gpu.buffers.free(b));
  return out;
}

async function backward(dout: Float32Array, gate: Float32Array, up: Float32Array, precision: ActivationPrecision) {
  const n = gate.length;
  const [d, g, u] = [dout, gate, up].map((a, i) => uploadActivation(gpu, a, precision, `in${i}`));
  const dgate = gpu.alloc(n * 4, { label: 'dgate' });
  const dup = gpu.alloc(n * 4, { label: 'dup' });
  const rec = gpu.recorder();
  swigluBackward(rec, { dout: d, gate: g, up: u, dgate, dup }, n, { precision });
  rec.submit();
  const result = { dgate: await readActivation(gpu, dgate, n, precision), dup: await readActivation(gpu, dup, n, precision) };
  [d, g, u, dgate, dup].forEach((b) => gpu.buffers.free(b));
  return result;
}

function inputs(n: number, seed: number, precision: ActivationPrecision) {
  return {
    gate: roundToActivation(randomF32(n, seed, 6), precision),
    up: roundToActivation(randomF32(n, seed + 1, 1), precision),
    dout: roundToActivation(randomF32(n, seed + 2, 1), precision),
  };
}

describe.each(activationPrecisions(gpu))('SwiGLU (%s)', (precision) => {
  const tolerance = TOLERANCE[precision];

  for (const n of [1, 257, 4099]) {
    it(`forward matches silu(gate)·up for n=${n}`, async () => {
      const seed = 300 + n;
      const { gate, up } = inputs(n, seed, precision);
      expectAllClose(await forward(gate, up, precision), swigluReference(gate, up), tolerance, `seed ${seed}, n ${n}`);
    });
  }

  it('saturates cleanly for very negative and very positive gates (no NaN from e^(−g) overflow)', async () => {
    const gate = new Float32Array([-100, -60, 60, 0]);
    const up = new Float32Array([1, 2, 0.5, 3]);
    const got = await forward(gate, up, precision);
    expect(got.every(Number.isFinite), `got ${Array.from(got)}`).toBe(true);
    expectAllClose(got, swigluReference(gate, up), tolerance, 'saturated gates');
  });

  it('backward matches the analytic derivative', async () => {
    const seed = 310;
    const { gate, up, dout } = inputs(1031, seed, precision);
    const got = await backward(dout, gate, up, precision);
    const want = swigluBackwardReference(dout, gate, up);
    expectAllClose(got.dgate, want.dgate, tolerance, `dgate, seed ${seed}`);
    expectAllClose(got.dup, want.dup, tolerance, `dup, seed ${seed}`);
  });
});

describe('SwiGLU gradients against finite differences (f32)', () => {
  const n = 777;
  const seed = 320;
  const { gate, up, dout } = inputs(n, seed, 'f32');

  it('dgate is the derivative of Σ dout·out with respect to gate', async () => {
    const { dgate } = await backward(dout, gate, up, 'f32');
    await expectGradientMatchesFiniteDifferences({
      x: gate,
      grad: dgate,
      loss: async (g) => weightedSum(await forward(g, up, 'f32'), dout),
      seed,
      context: 'swiglu dgate',
      eps: 1e-2,
    });
  });

  it('dup is the derivative of Σ dout·out with respect to up', async () => {
    const { dup } = await backward(dout, gate, up, 'f32');
    await expectGradientMatchesFiniteDifferences({
      x: up,
      grad: dup,
      loss: async (u) => weightedSum(await forward(gate, u, 'f32'), dout),
      seed: seed + 1,
      context: 'swiglu dup',
    });
  });
});

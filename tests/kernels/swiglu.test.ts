import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { swiglu, swigluBackward } from '../../src/kernels/swiglu';
import { swigluBackwardReference, swigluReference } from '../../src/kernels/reference/swiglu';
import { randomF32 } from '../../src/util/random';
import type { StoredPrecision } from '../../src/kernels/storedValues';
import { storedValuesReference } from '../../src/kernels/reference/storedValues';
import { uploadStored } from './storedTensors';
import { expectAllClose } from './compare';
import { expectGradientMatchesFiniteDifferences, weightedSum } from './gradcheck';

// exp is accurate to a few ulp and the products add a few more; values reach |g·up| ≈ 6, so 1e-5 absolute plus
// 1e-5 relative leaves room. Gate and up stored as f16 pairs are rounded before the reference sees them too, so the
// same f32 tolerance holds for both storages.
const TOLERANCE = { atol: 1e-5, rtol: 1e-5 };

const gpu = await testGpu();

async function forward(gate: Float32Array, up: Float32Array, gateUp: StoredPrecision = 'f32'): Promise<Float32Array> {
  const n = gate.length;
  const bufs = [uploadStored(gpu, gate, gateUp, 'gate'), uploadStored(gpu, up, gateUp, 'up'), gpu.alloc(n * 4, { label: 'out' })];
  const rec = gpu.recorder();
  swiglu(rec, bufs[0], bufs[1], bufs[2], n, gateUp);
  rec.submit();
  const out = await gpu.readF32(bufs[2], n);
  bufs.forEach((b) => gpu.buffers.free(b));
  return out;
}

/** dgate, and dup as the kernel leaves it in dout's buffer. */
async function backward(dout: Float32Array, gate: Float32Array, up: Float32Array, gateUp: StoredPrecision = 'f32') {
  const n = gate.length;
  const d = gpu.upload(dout, { label: 'dout' });
  const g = uploadStored(gpu, gate, gateUp, 'gate');
  const u = uploadStored(gpu, up, gateUp, 'up');
  const dgate = gpu.alloc(n * 4, { label: 'dgate' });
  const rec = gpu.recorder();
  swigluBackward(rec, { doutDup: d, gate: g, up: u, dgate }, n, gateUp);
  rec.submit();
  const result = { dgate: await gpu.readF32(dgate, n), dup: await gpu.readF32(d, n) };
  [d, g, u, dgate].forEach((b) => gpu.buffers.free(b));
  return result;
}

/** Random inputs, gate and up as a tensor stored in `gateUp` gives them back. */
function inputs(n: number, seed: number, gateUp: StoredPrecision = 'f32') {
  return {
    gate: storedValuesReference(randomF32(n, seed, 6), gateUp),
    up: storedValuesReference(randomF32(n, seed + 1, 1), gateUp),
    dout: randomF32(n, seed + 2, 1),
  };
}

describe('SwiGLU', () => {
  const tolerance = TOLERANCE;

  for (const n of [1, 257, 4099]) {
    it(`forward matches silu(gate)·up for n=${n}`, async () => {
      const seed = 300 + n;
      const { gate, up } = inputs(n, seed);
      expectAllClose(await forward(gate, up), swigluReference(gate, up), tolerance, `seed ${seed}, n ${n}`);
    });
  }

  it('saturates cleanly for very negative and very positive gates (no NaN from e^(−g) overflow)', async () => {
    const gate = new Float32Array([-100, -60, 60, 0]);
    const up = new Float32Array([1, 2, 0.5, 3]);
    const got = await forward(gate, up);
    expect(got.every(Number.isFinite), `got ${Array.from(got)}`).toBe(true);
    expectAllClose(got, swigluReference(gate, up), tolerance, 'saturated gates');
  });

  it('backward matches the analytic derivative, dup written over dout', async () => {
    const seed = 310;
    const { gate, up, dout } = inputs(1031, seed);
    const got = await backward(dout, gate, up);
    const want = swigluBackwardReference(dout, gate, up);
    expectAllClose(got.dgate, want.dgate, tolerance, `dgate, seed ${seed}`);
    expectAllClose(got.dup, want.dup, tolerance, `dup, seed ${seed}`);
  });

  it('reads gate and up stored as f16 pairs (odd n: a half-used last word), forward and backward', async () => {
    const seed = 315;
    const { gate, up, dout } = inputs(1031, seed, 'f16-packed');
    expectAllClose(await forward(gate, up, 'f16-packed'), swigluReference(gate, up), tolerance, `forward, seed ${seed}`);
    const got = await backward(dout, gate, up, 'f16-packed');
    const want = swigluBackwardReference(dout, gate, up);
    expectAllClose(got.dgate, want.dgate, tolerance, `dgate, seed ${seed}`);
    expectAllClose(got.dup, want.dup, tolerance, `dup, seed ${seed}`);
  });
});

describe('SwiGLU gradients against finite differences (f32)', () => {
  const n = 777;
  const seed = 320;
  const { gate, up, dout } = inputs(n, seed);

  it('dgate is the derivative of Σ dout·out with respect to gate', async () => {
    const { dgate } = await backward(dout, gate, up);
    await expectGradientMatchesFiniteDifferences({
      x: gate,
      grad: dgate,
      loss: async (g) => weightedSum(await forward(g, up), dout),
      seed,
      context: 'swiglu dgate',
      eps: 1e-2,
    });
  });

  it('dup is the derivative of Σ dout·out with respect to up', async () => {
    const { dup } = await backward(dout, gate, up);
    await expectGradientMatchesFiniteDifferences({
      x: up,
      grad: dup,
      loss: async (u) => weightedSum(await forward(gate, u), dout),
      seed: seed + 1,
      context: 'swiglu dup',
    });
  });
});

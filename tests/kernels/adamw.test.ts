import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { adamw } from '../../src/kernels/adamw';
import { gradNorm, gradNormPartialCount } from '../../src/kernels/gradNorm';
import { adamwReference } from '../../src/kernels/reference/adamw';
import { gradNormReference } from '../../src/kernels/reference/gradNorm';
import { randomF32 } from '../../src/util/random';
import { expectAllClose } from './compare';

// Each step is a handful of f32 operations per element; over 6 steps the f32 state drifts from the f64 reference by
// a few ulp. Parameters move by ~lr per step, so 1e-6 absolute + 1e-5 relative catches any wrong term.
const TOLERANCE = { atol: 1e-6, rtol: 1e-5 };

const gpu = await testGpu();

const N = 1031;
const STEPS = 6;
/** A warm-up then decay schedule: lr changes every step, as a real scheduler's does. */
const lrAt = (step: number) => 1e-2 * Math.min(1, step / 3) * 0.9 ** step;

async function train(seed: number, options: { weightDecay: number; maxNorm?: number }) {
  const param0 = randomF32(N, seed);
  const grads = Array.from({ length: STEPS }, (_, s) => randomF32(N, seed + 1 + s, 0.5 + s));
  const param = gpu.upload(param0, { label: 'param' });
  const grad = gpu.alloc(N * 4, { label: 'grad' });
  const m = gpu.alloc(N * 4, { label: 'm' });
  const v = gpu.alloc(N * 4, { label: 'v' });
  const partials = gpu.alloc(gradNormPartialCount([N]) * 4, { label: 'partials' });
  const norm = gpu.alloc(8, { label: 'norm' });
  const ref = { param: Float64Array.from(param0), m: new Float64Array(N), v: new Float64Array(N) };
  const pipelineCounts: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    const step = s + 1;
    gpu.write(grad, grads[s]);
    const rec = gpu.recorder();
    if (options.maxNorm !== undefined) gradNorm(rec, [{ buffer: grad, n: N }], { partials, out: norm }, { maxNorm: options.maxNorm });
    adamw(
      rec,
      { param, grad, m, v, clipFactor: options.maxNorm !== undefined ? norm : undefined },
      { n: N, step, lr: lrAt(step), weightDecay: options.weightDecay },
    );
    rec.submit();
    await gpu.sync();
    pipelineCounts.push(gpu.pipelines.size);
    const clip = options.maxNorm !== undefined ? gradNormReference([grads[s]], options.maxNorm).clip : 1;
    adamwReference(ref, grads[s], { step, lr: lrAt(step), weightDecay: options.weightDecay, clip });
  }
  const got = { param: await gpu.readF32(param, N), m: await gpu.readF32(m, N), v: await gpu.readF32(v, N) };
  [param, grad, m, v, partials, norm].forEach((b) => gpu.buffers.free(b));
  return { got, ref, pipelineCounts };
}

describe('AdamW', () => {
  it('matches the reference over several steps with a changing learning rate and weight decay', async () => {
    const seed = 950;
    const { got, ref } = await train(seed, { weightDecay: 0.1 });
    expectAllClose(got.param, ref.param, TOLERANCE, `param, seed ${seed}`);
    expectAllClose(got.m, ref.m, TOLERANCE, `m, seed ${seed}`);
    expectAllClose(got.v, ref.v, TOLERANCE, `v, seed ${seed}`);
  });

  it('changes the learning rate every step without compiling new pipelines', async () => {
    const { pipelineCounts } = await train(951, { weightDecay: 0 });
    expect(new Set(pipelineCounts).size, `pipeline counts per step: ${pipelineCounts}`).toBe(1);
  });

  it('scales gradients by the clip factor computed on the GPU from the global norm', async () => {
    const seed = 952;
    // Gradients have norm ≈ 0.6·sqrt(N)·(0.5 + s) ≫ 1, so every step is clipped.
    const { got, ref } = await train(seed, { weightDecay: 0.01, maxNorm: 1 });
    expectAllClose(got.param, ref.param, TOLERANCE, `param, seed ${seed}`);
    expectAllClose(got.m, ref.m, TOLERANCE, `m, seed ${seed}`);
    expectAllClose(got.v, ref.v, { atol: 1e-9, rtol: 1e-5 }, `v, seed ${seed}`);
  });

  it('rejects a step count below 1 (the bias correction would divide by zero)', async () => {
    const buf = gpu.alloc(16, { label: 'x' });
    expect(() => adamw(gpu.recorder(), { param: buf, grad: buf, m: buf, v: buf }, { n: 4, step: 0, lr: 1 })).toThrow(/step 0/);
    gpu.buffers.free(buf);
  });
});

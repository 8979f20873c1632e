import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { gradNorm, gradNormPartialCount } from '../../src/kernels/gradNorm';
import { gradNormReference } from '../../src/kernels/reference/gradNorm';
import { randomF32 } from '../../src/util/random';

// Sums of up to 1e5 squares in f32 (per-thread runs, then a tree): ~1e-6 relative in practice; 1e-5 bounds it.
const RTOL = 1e-5;

const gpu = await testGpu();

async function runGradNorm(grads: Float32Array[], maxNorm?: number): Promise<Float32Array> {
  const buffers = grads.map((g, i) => gpu.upload(g, { label: `grad ${i}` }));
  const partials = gpu.alloc(gradNormPartialCount(grads.map((g) => g.length)) * 4, { label: 'partials' });
  const out = gpu.alloc(8, { label: 'norm' });
  const rec = gpu.recorder();
  gradNorm(
    rec,
    buffers.map((buffer, i) => ({ buffer, n: grads[i].length })),
    { partials, out },
    { maxNorm },
  );
  rec.submit();
  const result = await gpu.readF32(out, 2);
  [...buffers, partials, out].forEach((b) => gpu.buffers.free(b));
  return result;
}

describe('global gradient norm', () => {
  // Odd lengths: a single element, a partial workgroup, one large buffer that uses many workgroups.
  const lengths = [1, 257, 3, 100_003, 4096];
  const seed = 900;
  const grads = lengths.map((n, i) => randomF32(n, seed + i, 10 ** ((i % 3) - 1)));

  it('is the L2 norm over all buffers together', async () => {
    const [norm, clip] = await runGradNorm(grads);
    const want = gradNormReference(grads);
    expect(Math.abs(norm - want.norm) / want.norm, `seed ${seed}: norm ${norm}, expected ${want.norm}`).toBeLessThan(RTOL);
    expect(clip).toBe(1);
  });

  it('gives the clip factor max_norm / (norm + 1e-6) when the norm exceeds max_norm', async () => {
    const want = gradNormReference(grads, 1);
    const [, clip] = await runGradNorm(grads, 1);
    expect(want.clip).toBeLessThan(1);
    expect(Math.abs(clip - want.clip) / want.clip, `seed ${seed}: clip ${clip}, expected ${want.clip}`).toBeLessThan(RTOL);
  });

  it('gives a clip factor of 1 when the norm is below max_norm', async () => {
    const [norm, clip] = await runGradNorm(grads, 1e6);
    expect(norm).toBeGreaterThan(0);
    expect(clip).toBe(1);
  });

  it('is zero for all-zero gradients', async () => {
    expect(Array.from(await runGradNorm([new Float32Array(5), new Float32Array(300)], 1))).toEqual([0, 1]);
  });
});

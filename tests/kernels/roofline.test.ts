import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import { fmaChains, fmaChainsFlops, roofThreads, streamRead } from '../../src/kernels/roofline';
import { fmaChainsReference, streamReadReference } from '../../src/kernels/reference/roofline';
import { expectAllClose } from './compare';

describe('roofline kernels (the device report’s GB/s and GFLOP/s roofs)', () => {
  it('streamRead sums every vec4 once, grid-strided, including a ragged last stride', async () => {
    const gpu = await testGpu();
    const seed = 1400;
    const groups = 3;
    const threads = roofThreads(groups);
    const n4 = threads * 5 + 37;
    const x = randomF32(n4 * 4, seed);
    const bufX = gpu.upload(x, { label: 'X' });
    const sums = gpu.alloc(threads * 4, { label: 'sums' });
    const rec = gpu.recorder();
    streamRead(rec, { x: bufX, sums }, { n4, groups });
    rec.submit();
    const got = await gpu.readF32(sums, threads);
    gpu.buffers.free(bufX);
    gpu.buffers.free(sums);
    // At most 6 vec4s of values in [-1, 1) per thread: f32 rounding stays far below 1e-5.
    expectAllClose(got, streamReadReference(x, threads), { atol: 1e-5 }, `seed ${seed}, ${n4} vec4s over ${threads} threads`);
  });

  it('fmaChains runs every iteration of the four chains in every thread', async () => {
    const gpu = await testGpu();
    const shape = { groups: 2, iterations: 37, m: 0.5, c: 1, start: 3 };
    const out = gpu.alloc(roofThreads(shape.groups) * 4, { label: 'O' });
    const rec = gpu.recorder();
    fmaChains(rec, out, shape);
    rec.submit();
    const got = await gpu.readF32(out, roofThreads(shape.groups));
    gpu.buffers.free(out);
    expectAllClose(got, new Float32Array(got.length).fill(fmaChainsReference(shape)), { atol: 1e-5 }, JSON.stringify(shape));
    // m = 0.5 halves the distance to the fixed point 2 each step: after 3 steps a chain from 3 is 2.125, not 2.
    const short = { ...shape, iterations: 3 };
    expect(fmaChainsReference(short)).toBeCloseTo(4 * (2.125 + 2.25 + 2.375 + 2.5), 10);
    expect(fmaChainsFlops(shape)).toBe(2 * 256 * 37 * 32);
  });
});

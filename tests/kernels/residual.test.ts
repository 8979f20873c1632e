import { describe, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { axpby, residualAdd, scaleInPlace, scaleInto } from '../../src/kernels/residual';
import { axpbyReference } from '../../src/kernels/reference/residual';
import { randomF32 } from '../../src/util/random';
import { expectAllClose } from './compare';
import type { Recorder } from '../../src/gpu/recorder';
import type { TrackedBuffer } from '../../src/gpu/allocator';

// One f32 multiply-add per element: the kernel rounds once or twice, so a few ulp of values in [-2, 2]
// (1e-6) separate it from the f64 reference.
const TOLERANCE = { atol: 1e-6, rtol: 1e-6 };

const gpu = await testGpu();

async function run(n: number, seed: number, record: (rec: Recorder, y: TrackedBuffer, x: TrackedBuffer) => void) {
  const y0 = randomF32(n, seed);
  const x = randomF32(n, seed + 1);
  const bufY = gpu.upload(y0, { label: 'y' });
  const bufX = gpu.upload(x, { label: 'x' });
  const rec = gpu.recorder();
  record(rec, bufY, bufX);
  rec.submit();
  const got = await gpu.readF32(bufY, n);
  gpu.buffers.free(bufY);
  gpu.buffers.free(bufX);
  return { y0, x, got };
}

describe('residual add and scale', () => {
  // 1, a partial workgroup, and a count that is not a multiple of the 256-thread workgroup.
  for (const n of [1, 255, 4099]) {
    it(`adds x into y (y += x) for n=${n}`, async () => {
      const seed = 100 + n;
      const { y0, x, got } = await run(n, seed, (rec, y, xb) => residualAdd(rec, y, xb, n));
      expectAllClose(got, axpbyReference(y0, x, 1, 1), TOLERANCE, `seed ${seed}, n ${n}`);
    });
  }

  it('computes y = alpha·x + beta·y', async () => {
    const { y0, x, got } = await run(1000, 7, (rec, y, xb) => axpby(rec, y, xb, 1000, -0.75, 1.5));
    expectAllClose(got, axpbyReference(y0, x, -0.75, 1.5), TOLERANCE, 'seed 7');
  });

  it('overwrites y with a·x without reading y', async () => {
    const n = 300;
    const bufY = gpu.upload(new Float32Array(n).fill(NaN), { label: 'y' });
    const x = randomF32(n, 8);
    const bufX = gpu.upload(x, { label: 'x' });
    const rec = gpu.recorder();
    scaleInto(rec, bufY, bufX, n, 0.5);
    rec.submit();
    const got = await gpu.readF32(bufY, n);
    expectAllClose(got, axpbyReference(new Float32Array(n), x, 0.5, 0), TOLERANCE, 'seed 8');
    gpu.buffers.free(bufY);
    gpu.buffers.free(bufX);
  });

  it('scales y in place and leaves elements past n untouched', async () => {
    const { y0, got } = await run(513, 9, (rec, y) => scaleInPlace(rec, y, 500, 3));
    const want = y0.map((v, i) => (i < 500 ? 3 * v : v));
    expectAllClose(got, want, TOLERANCE, 'seed 9');
  });
});

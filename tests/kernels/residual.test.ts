import { describe, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { axpby, residualAdd, scaleInPlace, scaleInto } from '../../src/kernels/residual';
import { axpbyReference } from '../../src/kernels/reference/residual';
import { randomF32 } from '../../src/util/random';
import { expectAllClose } from './compare';
import { activationPrecisions, readActivation, roundToActivation, uploadActivation } from './activations';
import type { Recorder } from '../../src/gpu/recorder';
import type { TrackedBuffer } from '../../src/gpu/allocator';

// One f32 multiply-add per element: the kernel rounds once or twice, so a few ulp of values in [-2, 2]
// (1e-6) separate it from the f64 reference; f16 storage rounds the result to 2^-11 relative.
const TOLERANCE = { f32: { atol: 1e-6, rtol: 1e-6 }, f16: { atol: 2e-3, rtol: 1e-3 } };

const gpu = await testGpu();

async function run(n: number, seed: number, precision: 'f32' | 'f16', record: (rec: Recorder, y: TrackedBuffer, x: TrackedBuffer) => void) {
  const y0 = roundToActivation(randomF32(n, seed), precision);
  const x = roundToActivation(randomF32(n, seed + 1), precision);
  const bufY = uploadActivation(gpu, y0, precision, 'y');
  const bufX = uploadActivation(gpu, x, precision, 'x');
  const rec = gpu.recorder();
  record(rec, bufY, bufX);
  rec.submit();
  const got = await readActivation(gpu, bufY, n, precision);
  gpu.buffers.free(bufY);
  gpu.buffers.free(bufX);
  return { y0, x, got };
}

describe.each(activationPrecisions(gpu))('residual add and scale (%s)', (precision) => {
  const tolerance = TOLERANCE[precision];

  // 1, a partial workgroup, and a count that is not a multiple of the 256-thread workgroup.
  for (const n of [1, 255, 4099]) {
    it(`adds x into y (y += x) for n=${n}`, async () => {
      const seed = 100 + n;
      const { y0, x, got } = await run(n, seed, precision, (rec, y, xb) => residualAdd(rec, y, xb, n, { precision }));
      expectAllClose(got, axpbyReference(y0, x, 1, 1), tolerance, `seed ${seed}, n ${n}`);
    });
  }

  it('computes y = alpha·x + beta·y', async () => {
    const { y0, x, got } = await run(1000, 7, precision, (rec, y, xb) => axpby(rec, y, xb, 1000, -0.75, 1.5, { precision }));
    expectAllClose(got, axpbyReference(y0, x, -0.75, 1.5), tolerance, 'seed 7');
  });

  it('overwrites y with a·x without reading y', async () => {
    const n = 300;
    const bufY = uploadActivation(gpu, new Float32Array(n).fill(NaN), precision, 'y');
    const x = roundToActivation(randomF32(n, 8), precision);
    const bufX = uploadActivation(gpu, x, precision, 'x');
    const rec = gpu.recorder();
    scaleInto(rec, bufY, bufX, n, 0.5, { precision });
    rec.submit();
    const got = await readActivation(gpu, bufY, n, precision);
    expectAllClose(got, axpbyReference(new Float32Array(n), x, 0.5, 0), tolerance, 'seed 8');
    gpu.buffers.free(bufY);
    gpu.buffers.free(bufX);
  });

  it('scales y in place and leaves elements past n untouched', async () => {
    const { y0, got } = await run(513, 9, precision, (rec, y) => scaleInPlace(rec, y, 500, 3, { precision }));
    const want = y0.map((v, i) => (i < 500 ? 3 * v : v));
    expectAllClose(got, want, tolerance, 'seed 9');
  });
});

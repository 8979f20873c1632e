import { afterAll, describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { dropout, dropoutBackward, dropoutKey, type DropoutShape } from '../../src/kernels/dropout';
import { dropoutMaskReference, dropoutReference } from '../../src/kernels/reference/dropout';
import { randomF32 } from '../../src/util/random';
import { expectAllClose } from './compare';
import { expectGradientMatchesFiniteDifferences, weightedSum } from './gradcheck';

// Kept elements are x · f32(1/(1−p)) on the GPU and x / (1−p) in f64 in the reference: one or two f32 roundings.
const TOLERANCE = { atol: 1e-7, rtol: 1e-6 };

const gpu = await testGpu();
const owned: ReturnType<typeof gpu.alloc>[] = [];
afterAll(() => owned.forEach((b) => gpu.buffers.free(b)));

async function run(x: Float32Array, shape: DropoutShape, out0?: Float32Array): Promise<Float32Array> {
  const input = gpu.upload(x, { label: 'x' });
  const out = out0 ? gpu.upload(out0, { label: 'out' }) : gpu.alloc(shape.n * 4, { label: 'out' });
  const rec = gpu.recorder();
  if (out0) dropoutBackward(rec, input, out, shape);
  else dropout(rec, input, out, shape);
  rec.submit();
  const result = await gpu.readF32(out, shape.n);
  gpu.buffers.free(input);
  gpu.buffers.free(out);
  return result;
}

/** The mask the GPU applied: 1 where an all-ones input came out non-zero. */
async function gpuMask(shape: DropoutShape): Promise<Uint8Array> {
  const out = await run(new Float32Array(shape.n).fill(1), shape);
  return Uint8Array.from(out, (v) => (v !== 0 ? 1 : 0));
}

const mean = (mask: Uint8Array) => mask.reduce((s, k) => s + k, 0) / mask.length;

describe('dropout', () => {
  for (const [n, p] of [
    [1, 0.5],
    [257, 0.1],
    [4099, 0.3],
  ] as const) {
    it(`forward matches the reference mask and scale for n=${n}, p=${p}`, async () => {
      const seed = 500 + n;
      const x = randomF32(n, seed, 2);
      const shape = { n, p, key: dropoutKey([seed, 3, 1]) };
      expectAllClose(await run(x, shape), dropoutReference(x, shape), TOLERANCE, `seed ${seed}, n ${n}, p ${p}`);
    });
  }

  it('keeps every element unchanged at p = 0', async () => {
    const x = randomF32(1000, 510);
    expect(await run(x, { n: 1000, p: 0, key: dropoutKey([1]) })).toEqual(x);
  });

  it('keeps a fraction 1 − p of the elements, in every block of the tensor', async () => {
    // n = 2¹⁷ Bernoulli(0.9) draws: the kept fraction has standard deviation √(p(1−p)/n) ≈ 8e-4; 5σ is 4e-3.
    // Each of 8 blocks of 2¹⁴ (σ ≈ 2.3e-3) within 1.2e-2: a hash with structure along the tensor would fail.
    const n = 1 << 17;
    for (const p of [0.1, 0.5]) {
      const shape = { n, p, key: dropoutKey([520, 0, 0, 2, 4]) };
      const mask = await gpuMask(shape);
      expect(mask).toEqual(dropoutMaskReference(shape));
      const bound = 5 * Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(mean(mask) - (1 - p)), `p ${p}: kept ${mean(mask)}`).toBeLessThan(bound);
      for (let b = 0; b < 8; b++) {
        const block = mask.subarray((b * n) / 8, ((b + 1) * n) / 8);
        expect(Math.abs(mean(block) - (1 - p)), `p ${p}, block ${b}: kept ${mean(block)}`).toBeLessThan(bound * Math.sqrt(8));
      }
    }
  });

  it('draws the same mask for the same key and unrelated masks for keys one step apart', async () => {
    const n = 1 << 15;
    const p = 0.1;
    const a = await gpuMask({ n, p, key: dropoutKey([530, 7, 0, 1, 2]) });
    expect(await gpuMask({ n, p, key: dropoutKey([530, 7, 0, 1, 2]) })).toEqual(a);
    // Independent masks agree on p² + (1−p)² = 0.82 of the elements (σ ≈ 2.1e-3 at n = 2¹⁵); 5σ bound.
    const expected = p * p + (1 - p) * (1 - p);
    const bound = 5 * Math.sqrt((expected * (1 - expected)) / n);
    for (const words of [
      [531, 7, 0, 1, 2],
      [530, 8, 0, 1, 2],
      [530, 7, 1, 1, 2],
      [530, 7, 0, 2, 2],
      [530, 7, 0, 1, 3],
    ]) {
      const b = await gpuMask({ n, p, key: dropoutKey(words) });
      let agree = 0;
      for (let i = 0; i < n; i++) agree += a[i] === b[i] ? 1 : 0;
      expect(Math.abs(agree / n - expected), `key words ${words}: agreement ${agree / n}`).toBeLessThan(bound);
    }
  });

  it('backward adds the masked, scaled gradient onto dx', async () => {
    const seed = 540;
    const n = 3001;
    const shape = { n, p: 0.2, key: dropoutKey([seed]) };
    const dy = randomF32(n, seed);
    const dx0 = randomF32(n, seed + 1);
    expectAllClose(await run(dy, shape, dx0), dropoutReference(dy, shape, dx0), TOLERANCE, `seed ${seed}`);
  });

  it('backward is the derivative of Σ w·dropout(x) with respect to x', async () => {
    const seed = 550;
    const n = 777;
    const shape = { n, p: 0.25, key: dropoutKey([seed]) };
    const x = randomF32(n, seed);
    const w = randomF32(n, seed + 1);
    const grad = await run(w, shape, new Float32Array(n));
    await expectGradientMatchesFiniteDifferences({
      x,
      grad,
      loss: async (xs) => weightedSum(await run(xs, shape), w),
      seed,
      context: 'dropout dx',
    });
  });

  it('refuses p outside [0, 1) naming the kernel', () => {
    const rec = gpu.recorder();
    const b = gpu.alloc(16, { label: 'b' });
    owned.push(b);
    expect(() => dropout(rec, b, b, { n: 4, p: 1, key: [0, 0] })).toThrow(/dropout kernel: dropout probability 1 is not in \[0, 1\)/);
  });
});

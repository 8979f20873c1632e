import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { rope, ropeBackward, ropeInverseFrequencies, type RopeShape } from '../../src/kernels/rope';
import { ropeReference } from '../../src/kernels/reference/rope';
import { randomF32, seededRandom } from '../../src/util/random';
import { expectAllClose } from './compare';
import { expectGradientMatchesFiniteDifferences, weightedSum } from './gradcheck';

// f32: the angle is the same f32 product in kernel and reference; the kernel's own sin/cos (range reduction plus
// polynomial) are within a few 1e-7 of exact up to thousands of radians, and each output is a two-term sum of
// values below 1. f16 storage rounds each output to 2^-11 relative.
const TOLERANCE = { atol: 1e-6, rtol: 1e-6 };

const gpu = await testGpu();

async function runRope(
  x: Float32Array,
  positions: Uint32Array,
  freq: { freqBase: number; freqScale?: number },
  shape: RopeShape,
  inverse = false,
): Promise<Float32Array> {
  const invFreq = ropeInverseFrequencies({ nRot: shape.nRot, ...freq });
  const bx = gpu.upload(x, { label: 'x' });
  const bp = gpu.upload(positions, { label: 'positions' });
  const bf = gpu.upload(invFreq, { label: 'invFreq' });
  const rec = gpu.recorder();
  if (inverse) ropeBackward(rec, { dy: bx, positions: bp, invFreq: bf }, shape);
  else rope(rec, { x: bx, positions: bp, invFreq: bf }, shape);
  rec.submit();
  const out = await gpu.readF32(bx, x.length);
  [bx, bp, bf].forEach((b) => gpu.buffers.free(b));
  return out;
}

/** Two packed sequences: positions restart at 0 halfway, and the first one starts late to reach large angles. */
function packedPositions(tokens: number, start: number): Uint32Array {
  const split = Math.ceil(tokens / 2);
  return Uint32Array.from({ length: tokens }, (_, t) => (t < split ? start + t : t - split));
}

describe('RoPE frequencies', () => {
  it('follow freqBase^(−2i/nRot), scaled linearly by freqScale', () => {
    const f = ropeInverseFrequencies({ nRot: 8, freqBase: 10000, freqScale: 0.5 });
    expect(Array.from(f)).toEqual([0.5, 0.05, 0.005, 0.0005].map(Math.fround));
  });
});

describe('RoPE pairing conventions (hand-computed)', () => {
  // headDim 4, base 10000, position 1: pair 0 turns by 1 rad, pair 1 by 10000^(−2/4) = 0.01 rad.
  const x = new Float32Array([1, 2, 3, 4]);
  const rotate = (a: number, b: number, t: number) => [a * Math.cos(t) - b * Math.sin(t), a * Math.sin(t) + b * Math.cos(t)];

  it('normal mode rotates adjacent pairs (x0, x1) and (x2, x3), as Llama and Mistral', async () => {
    const got = await runRope(x, new Uint32Array([1]), { freqBase: 10000 }, { tokens: 1, nHeads: 1, headDim: 4, nRot: 4, mode: 'normal' });
    const [a0, a1] = rotate(1, 2, 1);
    const [b0, b1] = rotate(3, 4, 0.01);
    expectAllClose(got, [a0, a1, b0, b1], { atol: 1e-6 }, 'normal');
  });

  it('neox mode rotates halves (x0, x2) and (x1, x3), as Qwen2', async () => {
    const got = await runRope(x, new Uint32Array([1]), { freqBase: 10000 }, { tokens: 1, nHeads: 1, headDim: 4, nRot: 4, mode: 'neox' });
    const [a0, a2] = rotate(1, 3, 1);
    const [b1, b3] = rotate(2, 4, 0.01);
    expectAllClose(got, [a0, b1, a2, b3], { atol: 1e-6 }, 'neox');
  });

  it('leaves position 0 unchanged', async () => {
    const got = await runRope(x, new Uint32Array([0]), { freqBase: 10000 }, { tokens: 1, nHeads: 1, headDim: 4, nRot: 4, mode: 'normal' });
    expect(Array.from(got)).toEqual([1, 2, 3, 4]);
  });
});

describe('RoPE forward and backward vs reference', () => {
  const tolerance = TOLERANCE;
  // Q-like and K-like layouts, head counts that do not divide the workgroup, head dims 64 and 128, a partial
  // rotation (nRot < headDim), and positions into the thousands.
  const cases: { name: string; shape: RopeShape; freqBase: number; freqScale?: number; start: number }[] = [
    {
      name: 'Q, normal, 7 heads × 64',
      shape: { tokens: 13, nHeads: 7, headDim: 64, nRot: 64, mode: 'normal' },
      freqBase: 10000,
      start: 3000,
    },
    {
      name: 'K, neox, 3 kv heads × 128, θ = 1e6',
      shape: { tokens: 11, nHeads: 3, headDim: 128, nRot: 128, mode: 'neox' },
      freqBase: 1e6,
      start: 4090,
    },
    {
      name: 'normal, linear scaling ×4',
      shape: { tokens: 9, nHeads: 5, headDim: 64, nRot: 64, mode: 'normal' },
      freqBase: 10000,
      freqScale: 0.25,
      start: 8000,
    },
    {
      name: 'neox, partial rotation 32 of 48',
      shape: { tokens: 6, nHeads: 2, headDim: 48, nRot: 32, mode: 'neox' },
      freqBase: 10000,
      start: 100,
    },
    { name: 'one token, one head', shape: { tokens: 1, nHeads: 1, headDim: 2, nRot: 2, mode: 'normal' }, freqBase: 10000, start: 77 },
  ];
  for (const [index, c] of cases.entries()) {
    const seed = 700 + index;
    const shape = { ...c.shape };
    const n = shape.tokens * shape.nHeads * shape.headDim;
    const positions = packedPositions(shape.tokens, c.start);
    const freq = { freqBase: c.freqBase, freqScale: c.freqScale };
    const invFreq = ropeInverseFrequencies({ nRot: shape.nRot, ...freq });

    it(`forward: ${c.name}`, async () => {
      const x = randomF32(n, seed);
      expectAllClose(await runRope(x, positions, freq, shape), ropeReference(x, positions, invFreq, shape), tolerance, `seed ${seed}`);
    });

    it(`backward: ${c.name}`, async () => {
      const dy = randomF32(n, seed + 50);
      expectAllClose(
        await runRope(dy, positions, freq, shape, true),
        ropeReference(dy, positions, invFreq, shape, true),
        tolerance,
        `seed ${seed + 50}`,
      );
    });
  }
});

describe('RoPE linear scaling', () => {
  it('with freqScale 1/4 at position 4p equals no scaling at position p', async () => {
    const shape: RopeShape = { tokens: 5, nHeads: 2, headDim: 16, nRot: 16, mode: 'normal' };
    const x = randomF32(5 * 2 * 16, 730);
    const p = Uint32Array.from([0, 3, 10, 250, 999]);
    const scaled = await runRope(
      x,
      p.map((v) => 4 * v),
      { freqBase: 10000, freqScale: 0.25 },
      shape,
    );
    const plain = await runRope(x, p, { freqBase: 10000 }, shape);
    expectAllClose(scaled, plain, { atol: 1e-6 }, 'seed 730');
  });
});

describe('RoPE gradient against finite differences (f32)', () => {
  for (const mode of ['normal', 'neox'] as const) {
    it(`the backward pass is the derivative of Σ dy·rope(x) (${mode})`, async () => {
      const seed = mode === 'normal' ? 740 : 741;
      const shape: RopeShape = { tokens: 7, nHeads: 3, headDim: 32, nRot: 32, mode };
      const n = 7 * 3 * 32;
      const next = seededRandom(seed);
      const positions = Uint32Array.from({ length: 7 }, () => Math.floor(next() * 2048));
      const x = randomF32(n, seed);
      const dy = randomF32(n, seed + 1);
      const dx = await runRope(dy, positions, { freqBase: 10000 }, shape, true);
      await expectGradientMatchesFiniteDifferences({
        x,
        grad: dx,
        loss: async (xp) => weightedSum(await runRope(xp, positions, { freqBase: 10000 }, shape), dy),
        seed,
        context: `rope ${mode}`,
      });
    });
  }
});

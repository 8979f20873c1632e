import { describe, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { loraBackward, loraForward, type LoraShape } from '../../src/kernels/lora';
import { loraBackwardReference, loraForwardReference } from '../../src/kernels/reference/lora';
import { randomF32 } from '../../src/util/random';
import { expectAllClose } from './compare';
import { expectGradientMatchesFiniteDifferences, weightedSum } from './gradcheck';

// Each output is a chain of two f32 matmuls with inner sizes up to max(K, N, M) ≈ 130 over values in [-1, 1]:
// ~1e-5 absolute covers the rounding (as in matmul.test.ts, 4e-6 per 50 terms), and any wrong operand is off by O(1).
const TOLERANCE = { atol: 2e-5, rtol: 1e-5 };

const gpu = await testGpu();

function inputs(shape: LoraShape, seed: number) {
  const { tokens: M, inFeatures: K, outFeatures: N, rank: r } = shape;
  return {
    x: randomF32(M * K, seed),
    a: randomF32(r * K, seed + 1, 0.5),
    b: randomF32(N * r, seed + 2, 0.5),
    y0: randomF32(M * N, seed + 3),
    dy: randomF32(M * N, seed + 4),
    dx0: randomF32(M * K, seed + 5),
    da0: randomF32(r * K, seed + 6),
    db0: randomF32(N * r, seed + 7),
  };
}

async function forward(d: { x: Float32Array; a: Float32Array; b: Float32Array; y0: Float32Array }, shape: LoraShape) {
  const [x, a, b, y] = [d.x, d.a, d.b, d.y0].map((v, i) => gpu.upload(v, { label: `lora ${i}` }));
  // Stale scratch contents must not leak into the result.
  const h = gpu.upload(randomF32(shape.tokens * shape.rank, 1), { label: 'h' });
  const rec = gpu.recorder();
  loraForward(rec, { x, a, b, h, y }, shape);
  rec.submit();
  const result = { h: await gpu.readF32(h, shape.tokens * shape.rank), y: await gpu.readF32(y, shape.tokens * shape.outFeatures) };
  [x, a, b, y, h].forEach((t) => gpu.buffers.free(t));
  return result;
}

async function backward(d: ReturnType<typeof inputs>, shape: LoraShape) {
  const { tokens: M, inFeatures: K, outFeatures: N, rank: r } = shape;
  const [x, a, b, dy, dx, da, db] = [d.x, d.a, d.b, d.dy, d.dx0, d.da0, d.db0].map((v, i) => gpu.upload(v, { label: `lora ${i}` }));
  const h = gpu.alloc(M * r * 4, { label: 'h' });
  const y = gpu.alloc(M * N * 4, { label: 'y' });
  const dh = gpu.upload(randomF32(M * r, 2), { label: 'dh' });
  const rec = gpu.recorder();
  loraForward(rec, { x, a, b, h, y }, shape);
  loraBackward(rec, { x, a, b, h, dy, dh, dx, da, db }, shape);
  rec.submit();
  const result = { dx: await gpu.readF32(dx, M * K), da: await gpu.readF32(da, r * K), db: await gpu.readF32(db, N * r) };
  [x, a, b, dy, dx, da, db, h, y, dh].forEach((t) => gpu.buffers.free(t));
  return result;
}

// One token (decode), rank 1, and shapes off the matmul's 64×64 tile and 16-wide K step.
const shapes: LoraShape[] = [
  { tokens: 1, inFeatures: 67, outFeatures: 45, rank: 8, scale: 2 },
  { tokens: 33, inFeatures: 130, outFeatures: 70, rank: 16, scale: 0.5 },
  { tokens: 5, inFeatures: 64, outFeatures: 64, rank: 1, scale: 16 },
];

describe('LoRA forward: y += scale·(x·Aᵀ)·Bᵀ', () => {
  for (const [i, shape] of shapes.entries()) {
    it(`matches the reference for M=${shape.tokens} K=${shape.inFeatures} N=${shape.outFeatures} r=${shape.rank}`, async () => {
      const seed = 1100 + i * 10;
      const d = inputs(shape, seed);
      const got = await forward(d, shape);
      const want = loraForwardReference(d.x, d.a, d.b, d.y0, shape);
      expectAllClose(got.h, want.h, TOLERANCE, `h, seed ${seed}`);
      expectAllClose(got.y, want.y, TOLERANCE, `y, seed ${seed}`);
    });
  }
});

describe('LoRA backward: dx, dA, dB accumulated into existing gradients', () => {
  for (const [i, shape] of shapes.entries()) {
    it(`matches the analytic reference for M=${shape.tokens} K=${shape.inFeatures} N=${shape.outFeatures} r=${shape.rank}`, async () => {
      const seed = 1200 + i * 10;
      const d = inputs(shape, seed);
      const got = await backward(d, shape);
      const want = loraBackwardReference(d.x, d.a, d.b, d.dy, shape, d);
      expectAllClose(got.dx, want.dx, TOLERANCE, `dx, seed ${seed}`);
      expectAllClose(got.da, want.da, TOLERANCE, `dA, seed ${seed}`);
      expectAllClose(got.db, want.db, TOLERANCE, `dB, seed ${seed}`);
    });
  }
});

describe('LoRA branch gradients against finite differences of the forward (f32)', () => {
  const shape: LoraShape = { tokens: 9, inFeatures: 37, outFeatures: 23, rank: 4, scale: 2 };
  const seed = 1300;
  const d = inputs(shape, seed);
  // Zero initial gradients: the backward then returns exactly dL/d(x, A, B) of L = Σ dy·y.
  const zeros = { dx0: new Float32Array(d.dx0.length), da0: new Float32Array(d.da0.length), db0: new Float32Array(d.db0.length) };
  const lossOf = (input: 'x' | 'a' | 'b') => async (v: Float32Array) => weightedSum((await forward({ ...d, [input]: v }, shape)).y, d.dy);

  it('dx', async () => {
    const { dx } = await backward({ ...d, ...zeros }, shape);
    await expectGradientMatchesFiniteDifferences({ x: d.x, grad: dx, loss: lossOf('x'), seed, context: 'lora dx' });
  });

  it('dA', async () => {
    const { da } = await backward({ ...d, ...zeros }, shape);
    await expectGradientMatchesFiniteDifferences({ x: d.a, grad: da, loss: lossOf('a'), seed: seed + 1, context: 'lora dA' });
  });

  it('dB', async () => {
    const { db } = await backward({ ...d, ...zeros }, shape);
    await expectGradientMatchesFiniteDifferences({ x: d.b, grad: db, loss: lossOf('b'), seed: seed + 2, context: 'lora dB' });
  });
});

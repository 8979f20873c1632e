import { afterAll, describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { tinyLlama } from '../train/fixtures';
import type { TrackedBuffer } from '../../src/gpu/allocator';
import type { Recorder } from '../../src/gpu/recorder';
import { attentionForward } from '../../src/kernels/attention';
import { recordBlockForward, type BlockActivations, type BlockStep, type CacheAttention } from '../../src/model/block';
import { LoraAdapter } from '../../src/model/lora/lora';
import { PROJECTIONS } from '../../src/model/tensorNames';
import { randomF32 } from '../../src/util/random';

const gpu = await testGpu();
const SEED = 4107;
const T = 7;
const LAYER = 1;

// Qwen2-shaped (q/k/v biases, neox RoPE), with an adapter on every projection whose B is not zero.
const { model } = await tinyLlama(gpu, { architecture: 'qwen2' });
const c = model.config;
const rank = 4;
const adapter = LoraAdapter.create(gpu, c, { rank, alpha: 8, dropout: 0, targets: PROJECTIONS, seed: SEED });
adapter.writeValues(randomF32(adapter.totalFloats, SEED, 0.2));

const owned: TrackedBuffer[] = [];
const f32 = (floats: number) => {
  const b = gpu.alloc(floats * 4, { label: 'block test', category: 'activations' });
  owned.push(b);
  return b;
};
const D = c.nEmbd;
const qDim = c.nHeads * c.headDim;
const kvDim = c.nKvHeads * c.headDim;
const input = randomF32(T * D, SEED + 1);
const positions = Uint32Array.from({ length: T }, (_, i) => i);

/** Every activation in a buffer of its own, as training keeps them (its x is the layer's checkpoint). */
function separateActivations(): BlockActivations {
  return {
    x: f32(T * D),
    positions: f32(T),
    xn1: f32(T * D),
    rstd1: f32(T),
    q: f32(T * qDim),
    k: f32(T * kvDim),
    v: f32(T * kvDim),
    attn: f32(T * qDim),
    x2: f32(T * D),
    xn2: f32(T * D),
    rstd2: f32(T),
    gate: f32(T * c.nFf),
    up: f32(T * c.nFf),
    hidden: f32(T * c.nFf),
    out: f32(T * D),
  };
}

/** One residual stream updated in place and one buffer for both norms, as inference runs the block. */
function inPlaceActivations(): BlockActivations {
  const a = separateActivations();
  return { ...a, x2: a.x, out: a.x, xn2: a.xn1, rstd2: a.rstd1 };
}

/**
 * Causal attention over the step's own rows, its "cache" being the step's k and v buffers (so nothing is stored);
 * the same kernel for either set of buffers. The adapter on q, k and v keeps them out of the stacked qkv dispatch,
 * which would store into a cache.
 */
function step(a: BlockActivations, h: Partial<Record<(typeof PROJECTIONS)[number], TrackedBuffer>>): BlockStep {
  const lse = f32(T * c.nHeads);
  const attention: CacheAttention = {
    target: () => {
      throw new Error('q, k and v carry adapter branches: the block must not fuse them');
    },
    append: () => {},
    quantizesOutput: false,
    attend: (rec: Recorder) =>
      attentionForward(
        rec,
        { q: a.q, k: a.k, v: a.v, out: a.attn, lse },
        { qLen: T, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim },
      ),
  };
  return { config: c, weights: model.weights, tokens: T, branch: { lora: adapter, h }, attention: { kind: 'cache', ...attention } };
}

async function run(a: BlockActivations, s: BlockStep, options: { recompute?: boolean } = {}): Promise<void> {
  gpu.write(a.x, input);
  gpu.write(a.positions, positions);
  const rec = gpu.recorder();
  recordBlockForward(rec, s, LAYER, a, options);
  rec.submit();
  await gpu.sync();
}

afterAll(() => {
  for (const b of owned) gpu.buffers.free(b);
  adapter.free();
  model.free();
});

describe('one transformer block (recordBlockForward)', () => {
  it('gives the same output bit for bit in place with one adapter scratch (inference) as in separate buffers with one per projection (training)', async () => {
    const inPlace = inPlaceActivations();
    const shared = f32(T * rank);
    await run(inPlace, step(inPlace, Object.fromEntries(PROJECTIONS.map((p) => [p, shared]))));
    const separate = separateActivations();
    await run(separate, step(separate, Object.fromEntries(PROJECTIONS.map((p) => [p, f32(T * rank)]))));

    const want = await gpu.readF32(inPlace.out, T * D);
    expect(want).not.toEqual(input);
    expect(await gpu.readF32(separate.out, T * D)).toEqual(want);
    expect(await gpu.readF32(separate.x, T * D)).toEqual(input); // the checkpoint is kept
  });

  it('recomputes the working set of the saving pass without writing the output', async () => {
    const h = () => Object.fromEntries(PROJECTIONS.map((p) => [p, f32(T * rank)]));
    const saved = separateActivations();
    const savedH = h();
    await run(saved, step(saved, savedH));
    const again = separateActivations();
    const againH = h();
    const untouched = randomF32(T * D, SEED + 2);
    gpu.write(again.out, untouched);
    await run(again, step(again, againH), { recompute: true });

    for (const name of ['xn1', 'q', 'k', 'v', 'attn', 'x2', 'xn2', 'hidden'] as const) {
      expect(await gpu.readF32(again[name], saved[name].bytes / 4), name).toEqual(await gpu.readF32(saved[name], saved[name].bytes / 4));
    }
    for (const p of PROJECTIONS) expect(await gpu.readF32(againH[p]!, T * rank), `h ${p}`).toEqual(await gpu.readF32(savedH[p]!, T * rank));
    expect(await gpu.readF32(again.out, T * D)).toEqual(untouched);
  });
});

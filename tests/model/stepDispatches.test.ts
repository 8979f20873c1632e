import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAsBlob } from 'node:fs';
import { testGpu } from '../setup/testGpu';
import { sharedData } from '../sharedData';
import { buildTinyModel, readGguf, writeGguf, type TinyModelSpec } from '../../src/formats/gguf';
import { Model } from '../../src/model/model';
import { matvecDot } from '../../src/kernels/qmatmul';
import type { QuantizedWeight } from '../../src/kernels/quantWeight';
import { LoraAdapter } from '../../src/model/lora/lora';

// Dispatches per layer are what the bench reports for decode and prefill; these tests pin which kernels a Llama
// layer records (the model's parity and batch-decode tests check what they compute).

const STORIES = sharedData('tiny-models', 'stories260K.gguf');

let model: Model;

const SPEC = {
  architecture: 'llama',
  // Heads of 32 values: whole 32-value blocks, so attention hands o its input in 8 bits on a CPU adapter.
  embeddingLength: 128,
  blockCount: 2,
  headCount: 4,
  headCountKv: 2,
  feedForwardLength: 128,
  weightType: 'Q4_0',
  seed: 31,
} as const;

beforeAll(async () => {
  const gpu = await testGpu();
  const tiny = buildTinyModel({ ...SPEC, vocabulary: await readGguf(await openAsBlob(STORIES)) });
  model = await Model.load(gpu, writeGguf(tiny.metadata, tiny.tensors), { maxContext: 160, maxStepTokens: 140 });
}, 120_000);

afterAll(() => model?.free());

const greedy = { temperature: 0 };

/**
 * Dispatches a decode layer adds for the 8-bit matvec dot products where the adapter takes them (src/kernels/qmatmul.ts
 * `matvecDot`: CPU adapters): `count` activation quantizations of their own. The others arrive quantized by the kernel
 * that wrote them (src/model/quantizedHandoff.ts).
 */
function quantizations(m: Model, count: number): number {
  const o = m.weights.layers[0].proj.o as QuantizedWeight;
  return matvecDot(m.gpu.recorder(), o) === 'f32' ? 0 : count;
}

/**
 * A decode step of the tiny model SPEC with `changes` (after a 3-token prompt), once `inspect` has seen it loaded: its
 * dispatches per block.
 */
async function decodeStepOf(changes: Partial<TinyModelSpec>, inspect: (m: Model) => void = () => {}) {
  const gpu = await testGpu();
  const tiny = buildTinyModel({ ...SPEC, ...changes, vocabulary: await readGguf(await openAsBlob(STORIES)) });
  const m = await Model.load(gpu, writeGguf(tiny.metadata, tiny.tensors), { maxContext: 16, maxStepTokens: 8 });
  try {
    inspect(m);
    const id = await m.forwardSample([1, 5, 9], greedy, 0);
    await m.forwardSample([id], greedy, 0);
    return m.stepDispatches?.perBlock;
  } finally {
    m.free();
  }
}

function blockDispatches(): number[] {
  const step = model.stepDispatches;
  if (!step) throw new Error('no step recorded');
  return step.perBlock;
}

describe('dispatches per layer of a block (quantized weights, no adapter)', () => {
  it('decode: 5 while the cache is one 128-key chunk, 6 once attention is split and its chunks merged (on a CPU adapter too)', async () => {
    model.reset();
    const id = await model.forwardSample([1, 5, 9], greedy, 0);
    // q, k, v (with the attention norm, RoPE and the cache store), attention decode, o, gate and up (with the FFN
    // norm and SwiGLU), down
    await model.forwardSample([id], greedy, 0);
    // On a CPU adapter every product's 8-bit input arrives quantized by the kernel that wrote it: attention (or its
    // combine) for o, o for gate and up, gate and up for down, down for the next layer's q, k, v.
    expect(blockDispatches()).toEqual([5, 5]);
    model.reset();
    await model.forwardSample(
      Array.from({ length: 130 }, (_, i) => 3 + (i % 50)),
      greedy,
      0,
    );
    await model.forwardSample([id], greedy, 0);
    expect(blockDispatches(), '131 keys: two chunks, then the combine').toEqual([6, 6]);
  }, 120_000);

  it('decode of a Qwen2-shaped model: 5, the q, k, v biases in their dispatch', async () => {
    expect(await decodeStepOf({ architecture: 'qwen2' })).toEqual([5, 5]);
  }, 120_000);

  it('decode of a Q4_K_M model: 5 in every layer, a Q6_K v stacked with its Q4_K q and k', async () => {
    // K-quant rows are whole 256-value super-blocks; the recipe gives the last of 2 layers a Q6_K attn_v.
    const shape = { embeddingLength: 256, feedForwardLength: 256, weightType: 'Q4_K', mix: 'Q4_K_M' } as const;
    const perBlock = await decodeStepOf(shape, (q4km) => {
      const formats = q4km.weights.layers.map((l) => l.stacks.qkv?.sections.map((s) => s.format).join(' '));
      expect(formats).toEqual(['Q4_K Q4_K Q4_K', 'Q4_K Q4_K Q6_K']);
    });
    expect(perBlock).toEqual([5, 5]);
  }, 120_000);

  it('decode with an adapter on q and v: 15 (+3 quantizations on a CPU adapter), q, k, v apart again (the branches add to q and v before RoPE), gate and up still one', async () => {
    const adapter = LoraAdapter.create(model.gpu, model.config, { rank: 2, alpha: 4, dropout: 0, targets: ['q', 'v'], seed: 5 });
    model.useAdapter(adapter);
    try {
      model.reset();
      const id = await model.forwardSample([1, 5, 9], greedy, 0);
      await model.forwardSample([id], greedy, 0);
      // rmsnorm, q, its branch (x·Aᵀ, then h·Bᵀ), k, v, its branch, rope q, rope k, KV store, attention decode, o,
      // gate and up, down; on a CPU adapter a quantization of the normed input before each of q, k, v (which read it
      // with their branches)
      const extra = quantizations(model, 3);
      expect(blockDispatches()).toEqual([15 + extra, 15 + extra]);
    } finally {
      model.useAdapter(undefined);
      adapter.free();
    }
  }, 120_000);

  it('prefill: 14, the norms and SwiGLU their own dispatches around the tiled projections', async () => {
    model.reset();
    // rmsnorm, q, k, v, rope q, rope k, KV store, attention, o, rmsnorm, gate, up, swiglu, down
    await model.forwardSample(
      Array.from({ length: 12 }, (_, i) => 3 + i),
      greedy,
      0,
    );
    expect(blockDispatches()).toEqual([14, 14]);
    expect(model.stepDispatches?.tokens).toBe(12);
  }, 120_000);
});

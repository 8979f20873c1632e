import { afterAll, describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { storiesVocabulary } from '../train/fixtures';
import { buildTinyModel, writeGguf, type TinyModelSpec } from '../../src/formats/gguf';
import { Model } from '../../src/model/model';
import type { Recorder } from '../../src/gpu/recorder';
import { attentionForward } from '../../src/kernels/attention';
import { matvecDot } from '../../src/kernels/qmatmul';
import type { QuantizedWeight } from '../../src/kernels/quantWeight';
import { allocateActivations, freeActivations, type Activations } from '../../src/model/activations';
import { recordForward } from '../../src/model/forwardPass';
import type { CacheAttention } from '../../src/model/block';

// On an adapter whose matvecs take 8-bit activations, the kernel that writes a block's input also writes it quantized
// (src/model/quantizedHandoff.ts) and its readers skip their own quantization. The contract: the same logits bit for
// bit as every product quantizing its own input, in fewer dispatches.

const gpu = await testGpu();
const T = 3;

const SPEC: TinyModelSpec = {
  architecture: 'llama',
  vocabulary: await storiesVocabulary(),
  embeddingLength: 64,
  blockCount: 3,
  headCount: 4,
  headCountKv: 2,
  feedForwardLength: 128,
  weightType: 'Q4_0',
  seed: 41,
};

const models: Model[] = [];
afterAll(() => {
  for (const m of models) m.free();
});

async function load(spec: Partial<TinyModelSpec>): Promise<Model> {
  const tiny = buildTinyModel({ ...SPEC, ...spec });
  const model = await Model.load(gpu, writeGguf(tiny.metadata, tiny.tensors), { maxContext: 16, maxStepTokens: 8, kvPrecision: 'f32' });
  models.push(model);
  return model;
}

/**
 * Causal attention over the step's own T rows: the stacked q, k, v dispatch stores k and v token-major at positions
 * 0..T−1 of two f32 buffers (the "cache"), which attention reads.
 */
function ownRowsAttention(rec: Recorder, model: Model, a: Activations): CacheAttention {
  const c = model.config;
  return {
    target: () => ({ keys: a.k, values: a.v, at: a.positions, slotValues: 0, firstSlot: 0, precision: 'f32' }),
    append: () => {},
    attend: (r: Recorder) =>
      attentionForward(
        r,
        { q: a.q, k: a.k, v: a.v, out: a.attn, lse: a.lse },
        { qLen: T, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim },
      ),
  };
}

/** The logits of T rows through every block, and the dispatches each block recorded. */
async function forward(model: Model, handoff: boolean): Promise<{ logits: Float32Array; perBlock: number[] }> {
  const allocated = allocateActivations(gpu, model.config, T, T);
  const a: Activations = handoff ? allocated : { ...allocated, quantizedResidual: undefined };
  try {
    gpu.write(a.ids, Uint32Array.from([1, 17, 300]));
    gpu.write(a.positions, Uint32Array.from([0, 1, 2]));
    const rec = gpu.recorder();
    const perBlock = recordForward(rec, { config: model.config, weights: model.weights }, a, T, ownRowsAttention(rec, model, a), {
      rows: 'all',
    });
    rec.submit();
    return { logits: await gpu.readF32(a.logits, T * model.config.nVocab), perBlock };
  } finally {
    freeActivations(gpu, allocated);
  }
}

describe("blocks handing their products' inputs over in 8 bits", () => {
  for (const spec of [
    { weightType: 'Q4_0', architecture: 'llama' },
    { weightType: 'Q8_0', architecture: 'qwen2' },
  ] as const) {
    it(`${spec.weightType} ${spec.architecture}: the logits of every product quantizing its own input, 3 dispatches fewer per block`, async () => {
      const model = await load(spec);
      expect(matvecDot(gpu.recorder(), model.weights.layers[0].proj.o as QuantizedWeight), 'a CPU adapter takes 8-bit dots').not.toBe(
        'f32',
      );
      const alone = await forward(model, false);
      const handed = await forward(model, true);
      expect(handed.logits.some((v) => v !== 0)).toBe(true);
      expect(new Uint32Array(handed.logits.buffer)).toEqual(new Uint32Array(alone.logits.buffer));
      // Each block hands over the FFN's input (from o), down's (from gate and up) and the next block's (from down);
      // the first block's input is quantized once before it, outside the blocks.
      expect(handed.perBlock).toEqual(alone.perBlock.map((n) => n - 3));
    }, 120_000);
  }
});

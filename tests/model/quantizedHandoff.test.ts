import { afterAll, describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { storiesVocabulary } from '../train/fixtures';
import { buildTinyModel, writeGguf, type TinyModelSpec } from '../../src/formats/gguf';
import { Model } from '../../src/model/model';
import { attentionForward } from '../../src/kernels/attention';
import { attentionDecode, attentionDecodeQuantizes, attentionDecodeScratchBytes } from '../../src/kernels/attentionDecode';
import type { TrackedBuffer } from '../../src/gpu/allocator';
import { matvecDot } from '../../src/kernels/qmatmul';
import type { QuantizedWeight } from '../../src/kernels/quantWeight';
import { allocateActivations, freeActivations, type Activations } from '../../src/model/activations';
import { recordForward } from '../../src/model/forwardPass';
import type { CacheAttention } from '../../src/model/block';

// On an adapter whose matvecs take 8-bit activations, the kernel that writes a block's input also writes it quantized
// (src/model/quantizedHandoff.ts) and its readers skip their own quantization. The contract: the same logits bit for
// bit as every product quantizing its own input, in fewer dispatches.

const gpu = await testGpu();

const SPEC: TinyModelSpec = {
  architecture: 'llama',
  vocabulary: await storiesVocabulary(),
  // Heads of 32: whole 32-value blocks, so the attention decode kernel can quantize its output for o too.
  embeddingLength: 128,
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
 * 0..T−1 of two f32 buffers (the "cache"), which attention reads; one row (a decode step at position 0) through the
 * decode kernel, which can quantize its output for o.
 */
function ownRowsAttention(model: Model, a: Activations, T: number, partials: TrackedBuffer): CacheAttention {
  const c = model.config;
  const heads = { nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim };
  const layout = { kvLayout: { kind: 'tokens' } as const, kvStorage: 'f32' as const };
  return {
    target: () => ({ keys: a.k, values: a.v, at: a.positions, slotValues: 0, firstSlot: 0, precision: 'f32' }),
    append: () => {},
    attend: (rec, _l, quantizedOut) => {
      if (T === 1) attentionDecode(rec, { q: a.q, k: a.k, v: a.v, partials, out: a.attn, quantizedOut }, { kvLen: 1, ...heads }, layout);
      else attentionForward(rec, { q: a.q, k: a.k, v: a.v, out: a.attn, lse: a.lse }, { qLen: T, ...heads }, layout);
    },
    quantizesOutput: T === 1 && attentionDecodeQuantizes(heads),
  };
}

/** The logits of T rows through every block, and the dispatches each block recorded. */
async function forward(model: Model, T: number, handoff: boolean): Promise<{ logits: Float32Array; perBlock: number[] }> {
  const c = model.config;
  const allocated = allocateActivations(gpu, c, T, T);
  const a: Activations = handoff ? allocated : { ...allocated, quantizedResidual: undefined };
  const heads = { kvLen: 1, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim };
  const partials = gpu.alloc(attentionDecodeScratchBytes(heads), { label: 'decode partials' });
  try {
    gpu.write(a.ids, Uint32Array.from([1, 17, 300].slice(0, T)));
    gpu.write(
      a.positions,
      Uint32Array.from({ length: T }, (_, i) => i),
    );
    const rec = gpu.recorder();
    const attend = ownRowsAttention(model, a, T, partials);
    const perBlock = recordForward(rec, { config: c, weights: model.weights }, a, T, attend, { rows: 'all' });
    rec.submit();
    return { logits: await gpu.readF32(a.logits, T * c.nVocab), perBlock };
  } finally {
    freeActivations(gpu, allocated);
    gpu.buffers.free(partials);
  }
}

describe("blocks handing their products' inputs over in 8 bits", () => {
  for (const [spec, T] of [
    [{ weightType: 'Q4_0', architecture: 'llama' }, 1],
    [{ weightType: 'Q4_0', architecture: 'llama' }, 3],
    [{ weightType: 'Q8_0', architecture: 'qwen2' }, 1],
  ] as const) {
    // Each block hands over the FFN's input (from o), down's (from gate and up) and the next block's (from down);
    // the first block's input is quantized once before it, outside the blocks. A decode step's attention hands o
    // its input as well.
    const fewer = T === 1 ? 4 : 3;
    it(`${spec.weightType} ${spec.architecture}, ${T} row(s): the logits of every product quantizing its own input, ${fewer} dispatches fewer per block`, async () => {
      const model = await load(spec);
      const o = model.weights.layers[0].proj.o as QuantizedWeight;
      expect(matvecDot(gpu.recorder(), o), 'a CPU adapter takes 8-bit dots').not.toBe('f32');
      const alone = await forward(model, T, false);
      const handed = await forward(model, T, true);
      expect(handed.logits.some((v) => v !== 0)).toBe(true);
      expect(new Uint32Array(handed.logits.buffer)).toEqual(new Uint32Array(alone.logits.buffer));
      expect(handed.perBlock).toEqual(alone.perBlock.map((n) => n - fewer));
    }, 120_000);
  }
});

import { describe, expect, it } from 'vitest';
import { planTinyModel, tensorBytes, type GgufFile } from '../../src/formats/gguf';
import type { ModelConfig } from '../../src/model/config';
import { PROJECTIONS, type Projection } from '../../src/model/tensorNames';
import { describeMemoryPlan } from '../../src/model/inferenceMemoryPlan';
import { assertTrainingPlanFits, planTrainingMemory } from '../../src/train/trainingMemoryPlan';

const GiB = 1024 ** 3;
const mistral: ModelConfig = {
  architecture: 'llama',
  name: 'Mistral-7B',
  nLayers: 32,
  nEmbd: 4096,
  nHeads: 32,
  nKvHeads: 8,
  headDim: 128,
  nFf: 14336,
  nVocab: 32000,
  contextLength: 32768,
  rmsEps: 1e-5,
  ropeMode: 'normal',
  ropeFreqBase: 10000,
  ropeFreqScale: 1,
  nRot: 128,
  slidingWindow: 4096,
  tiedEmbeddings: false,
  qkvBias: false,
};
const limits = { maxBufferSize: 4 * GiB, maxStorageBufferBindingSize: 2 * GiB };

/** Bytes of Mistral-7B's tensors in llama.cpp's Q4_K_M mix (Q4_K, with Q6_K for output and some attn_v/ffn_down). */
function mistralQ4KMBytes(): number {
  // Only the token count matters for the tensor shapes: a 32000-token stand-in vocabulary.
  const tokens = Array.from({ length: 32000 }, (_, i) => `t${i}`);
  const vocabulary: GgufFile = {
    version: 3,
    metadata: new Map([['tokenizer.ggml.tokens', tokens]]),
    metadataTypes: new Map(),
    tensors: [],
    alignment: 32,
    dataOffset: 0,
    byteLength: 0,
  };
  const plan = planTinyModel({
    architecture: 'llama',
    vocabulary,
    embeddingLength: 4096,
    blockCount: 32,
    headCount: 32,
    headCountKv: 8,
    feedForwardLength: 14336,
    weightType: 'Q4_K',
    mix: 'Q4_K_M',
    seed: 0,
  });
  return plan.tensors.reduce((sum, t) => sum + (t.dims.length === 2 ? tensorBytes(t.dims, t.type) : t.dims[0] * 4), 0);
}

describe('the training memory planner', () => {
  it('fits Mistral-7B Q4_K_M at seq 2048, rank 16 on all seven projections in 8 GB', async () => {
    const weightBytes = mistralQ4KMBytes();
    const plan = planTrainingMemory(mistral, limits, {
      weightBytes,
      modelBufferBytes: 0,
      lora: { rank: 16, alpha: 32, dropout: 0, targets: PROJECTIONS, seed: 0 },
      batch: 1,
      seqLen: 2048,
      lossChunkRows: 256,
      budgetBytes: 8e9,
    });
    console.log(`[plan] Mistral-7B Q4_K_M, seq 2048, rank 16, all targets:\n${describeMemoryPlan(plan).join('\n')}`);
    expect(weightBytes / GiB).toBeGreaterThan(3.8);
    expect(weightBytes / GiB).toBeLessThan(4.2);
    const lora = plan.items.find((i) => i.label.startsWith('LoRA'))!.bytes;
    // 32 layers × 16 × (q 8192 + k 5120 + v 5120 + o 8192 + gate 18432 + up 18432 + down 18432) floats, four copies.
    expect(lora).toBeGreaterThan(4 * 4 * 32 * 16 * 81920);
    expect(lora).toBeLessThan(4 * 4 * 32 * 16 * 81920 * 1.01);
    expect(plan.items.find((i) => i.label.startsWith('saved'))!.bytes).toBe(33 * 2048 * 4096 * 4);
    expect(plan.problems).toEqual([]);
    expect(plan.totalBytes).toBeLessThan(8e9);
  });

  it('refuses a plan over the budget or over one buffer, with the numbers', () => {
    const options = {
      weightBytes: 4e9,
      modelBufferBytes: 0,
      lora: { rank: 16, alpha: 32, dropout: 0, targets: PROJECTIONS, seed: 0 },
      seqLen: 2048,
      lossChunkRows: 256,
    };
    const over = planTrainingMemory(mistral, limits, { ...options, batch: 4, budgetBytes: 8e9 });
    expect(() => assertTrainingPlanFits(over)).toThrow(
      /training does not fit this GPU: needs .* GiB of GPU memory but 7\.45 GiB is available.*saved activations/,
    );
    const small = planTrainingMemory(
      mistral,
      { maxBufferSize: 256 * 1024 ** 2, maxStorageBufferBindingSize: 128 * 1024 ** 2 },
      { ...options, batch: 1 },
    );
    expect(small.problems.join('\n')).toMatch(
      /one FFN activation needs 112 MiB in one buffer; the device allows 128 MiB|the adapter parameters needs/,
    );
  });

  it('counts the LoRA dropout scratch: one [T, widest adapter input] buffer, only when dropout is on', () => {
    const options = { weightBytes: 4e9, modelBufferBytes: 0, seqLen: 2048, lossChunkRows: 256, batch: 1 };
    const lora = { rank: 16, alpha: 32, targets: PROJECTIONS, seed: 0 };
    const working = (dropout: number, targets: readonly Projection[] = PROJECTIONS) =>
      planTrainingMemory(mistral, limits, { ...options, lora: { ...lora, dropout, targets } }).items.find((i) =>
        i.label.startsWith('recompute'),
      )!.bytes;
    // The down projection reads the FFN activation (14336 wide); without it the widest input is the hidden state.
    expect(working(0.1) - working(0)).toBe(2048 * 14336 * 4);
    expect(working(0.1, ['q', 'v']) - working(0, ['q', 'v'])).toBe(2048 * 4096 * 4);
  });
});

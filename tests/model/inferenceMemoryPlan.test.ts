import { describe, expect, it } from 'vitest';
import { openAsBlob } from 'node:fs';
import { testGpu } from '../setup/testGpu';
import { sharedData } from '../sharedData';
import { Model } from '../../src/model/model';
import { buildTinyModel, readGguf, writeGguf } from '../../src/formats/gguf';
import { modelConfigFromGguf } from '../../src/model/config';
import { planInferenceMemory } from '../../src/model/inferenceMemoryPlan';
import { batchKvCacheBytes } from '../../src/model/batchKvCache';
import { MISTRAL_7B } from '../../bench/mistral7b';
import { STORED_PRECISIONS, type StoredPrecision } from '../../src/kernels/storedValues';
import { formatBytes } from '../../src/util/formatBytes';

const STORIES = sharedData('tiny-models', 'stories260K.gguf');

describe('inference memory plan', () => {
  for (const kvPrecision of STORED_PRECISIONS) {
    it(`predicts from the header alone exactly the GPU bytes that loading then allocates (KV cache ${kvPrecision})`, async () => {
      const gpu = await testGpu();
      const blob = await openAsBlob(STORIES);
      const file = await readGguf(blob);
      const sizes = { maxContext: 96, maxStepTokens: 32, kvPrecision };
      const plan = planInferenceMemory(file, modelConfigFromGguf(file), gpu.limits, sizes);
      expect(plan.problems).toEqual([]);
      const before = gpu.buffers.bytesInUse;
      const model = await Model.load(gpu, blob, sizes);
      expect(gpu.buffers.bytesInUse - before).toBe(plan.totalBytes);
      model.free();
      expect(gpu.buffers.bytesInUse).toBe(before);
    });
  }

  it('predicts the bytes of stacked q, k, v with their RoPE and bias table (Qwen2) and of Q4_K_M stacks with a Q6_K v', async () => {
    const gpu = await testGpu();
    const vocabulary = await readGguf(await openAsBlob(STORIES));
    const shape = { embeddingLength: 256, blockCount: 2, headCount: 4, headCountKv: 2, feedForwardLength: 256, seed: 8 } as const;
    for (const spec of [
      { ...shape, architecture: 'qwen2', weightType: 'Q8_0' },
      { ...shape, architecture: 'llama', weightType: 'Q4_K', mix: 'Q4_K_M' },
    ] as const) {
      const tiny = buildTinyModel({ ...spec, vocabulary });
      const bytes = writeGguf(tiny.metadata, tiny.tensors);
      const file = await readGguf(bytes);
      const plan = planInferenceMemory(file, modelConfigFromGguf(file), gpu.limits, { maxContext: 32, maxStepTokens: 8 });
      const before = gpu.buffers.bytesInUse;
      const model = await Model.load(gpu, bytes, { maxContext: 32, maxStepTokens: 8 });
      try {
        const stacks = model.weights.layers.map((l) => Object.keys(l.stacks).join('+'));
        expect(stacks, spec.architecture).toEqual(['qkv+gateUp', 'qkv+gateUp']);
        // Q4_K_M stores some layers' v as Q6_K: their stack's sections have two row lengths.
        const vFormats = model.weights.layers.map((l) => l.stacks.qkv?.sections[2].format);
        expect(vFormats, spec.architecture).toEqual(spec.architecture === 'qwen2' ? ['Q8_0', 'Q8_0'] : ['Q4_K', 'Q6_K']);
        expect(gpu.buffers.bytesInUse - before, `${spec.architecture} ${spec.weightType}`).toBe(plan.totalBytes);
      } finally {
        model.free();
      }
    }
  });

  it('grows the KV cache linearly with the context: 2 bytes a value in f16 pairs (the default), 4 in f32', async () => {
    const file = await readGguf(await openAsBlob(STORIES));
    const config = modelConfigFromGguf(file);
    const limits = { maxBufferSize: 1 << 30, maxStorageBufferBindingSize: 1 << 30 };
    const kv = (ctx: number, kvPrecision?: StoredPrecision) =>
      planInferenceMemory(file, config, limits, { maxContext: ctx, maxStepTokens: 16, kvPrecision }).items[1].bytes;
    // 5 layers × (K + V) × 4 KV heads × head dim 8 per position.
    expect(kv(200) - kv(100)).toBe(100 * 5 * 2 * 4 * 8 * 2);
    expect(kv(200, 'f32') - kv(100, 'f32')).toBe(100 * 5 * 2 * 4 * 8 * 4);
  });

  it("halves Mistral-7B's evaluation KV cache: batch 8 × 1,024 positions, 2 GiB in f32, 1 GiB in f16 pairs", () => {
    const GiB = 1024 ** 3;
    const bytes = (precision: StoredPrecision) => batchKvCacheBytes(MISTRAL_7B, 1024, 8, precision);
    console.log(
      `[plan] Mistral-7B evaluation batch 8 × 1,024 positions: KV cache f32 ${formatBytes(bytes('f32'))}, f16-packed ${formatBytes(bytes('f16-packed'))}`,
    );
    expect(bytes('f32')).toBe(2 * GiB);
    expect(bytes('f16-packed')).toBe(GiB);
  });

  it('refuses, with the numbers and before allocating anything, a model larger than the budget', async () => {
    const gpu = await testGpu();
    const before = gpu.buffers.bytesInUse;
    await expect(Model.load(gpu, await openAsBlob(STORIES), { maxContext: 64, budgetBytes: 100_000 })).rejects.toThrow(
      /does not fit this GPU: needs [\d.]+ [KM]iB of GPU memory but 97.7 KiB is available/,
    );
    expect(gpu.buffers.bytesInUse).toBe(before);
  });

  it('names a buffer that would exceed the device binding limit', async () => {
    const file = await readGguf(await openAsBlob(STORIES));
    const plan = planInferenceMemory(
      file,
      modelConfigFromGguf(file),
      { maxBufferSize: 1 << 30, maxStorageBufferBindingSize: 64 * 1024 },
      {
        maxContext: 2048,
        maxStepTokens: 256,
      },
    );
    expect(plan.problems.join('\n')).toMatch(/the logits of one step needs 512 KiB in one buffer; the device allows 64.0 KiB/);
  });
});

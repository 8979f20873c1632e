import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openAsBlob } from 'node:fs';
import { testGpu } from '../setup/testGpu';
import { sharedData } from '../sharedData';
import type { Gpu } from '../../src/gpu/gpu';
import { buildTinyModel, readGguf, writeGguf, type GgufFile, type TinyModelSpec } from '../../src/formats/gguf';
import { Model } from '../../src/model/model';
import { generate, type GenerateResult } from '../../src/model/generate';
import { generateBatch, type GenerateBatchOptions } from '../../src/model/generateBatch';
import { BatchDecoder } from '../../src/model/batchDecode';
import { BATCH_STEP_ROWS } from '../../src/model/batchMemory';
import { planInferenceMemory } from '../../src/model/inferenceMemoryPlan';
import { LoraAdapter, loraLayout, type LoraConfig } from '../../src/model/lora/lora';
import { PROJECTIONS } from '../../src/model/tensorNames';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';
import { seededRandom } from '../../src/util/random';
import type { StoredPrecision } from '../../src/kernels/storedValues';
import { tinyLlamaSpec } from './tinyLlama';

// Each case decodes a few dozen tokens per prompt twice (alone and batched) on SwiftShader: 15–55 s each on a
// machine other work shares, so the budget is generous.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

const STORIES = sharedData('tiny-models', 'stories260K.gguf');
const SEED = 20251125;

let gpu: Gpu;
let vocabulary: GgufFile;

beforeAll(async () => {
  gpu = await testGpu();
  vocabulary = await readGguf(await openAsBlob(STORIES));
});

/** The tiny Llama (tinyLlama.ts) changed by `spec`; KV cache in f16 pairs unless said. */
async function tinyModel(spec: Partial<TinyModelSpec>, kvPrecision?: StoredPrecision): Promise<Model> {
  const tiny = buildTinyModel({ ...tinyLlamaSpec(vocabulary, SEED), ...spec });
  return Model.load(gpu, writeGguf(tiny.metadata, tiny.tensors), { maxContext: 96, maxStepTokens: 16, kvPrecision });
}

/** Prompts of different lengths (1 to 40 tokens) from the vocabulary's ordinary tokens, seeded. */
function randomPrompts(count: number, vocab: number, seed: number): number[][] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => [1, ...Array.from({ length: (i * 13) % 40 }, () => 3 + Math.floor(next() * (vocab - 3)))]);
}

async function alone(
  model: Model,
  tokenizer: Tokenizer,
  prompts: readonly (string | number[])[],
  options: GenerateBatchOptions,
): Promise<GenerateResult[]> {
  const results: GenerateResult[] = [];
  for (const prompt of prompts) results.push(await generate(model, tokenizer, prompt, { ...options, onText: undefined }));
  return results;
}

/** What must be identical between a prompt generated alone and in a batch: everything but the timings. */
const outcome = (r: GenerateResult) => ({ tokens: r.tokens, text: r.text, stopReason: r.stopReason, promptTokens: r.promptTokens });

/**
 * A tokenizer that also ends generation at `id`: a random-weight model never emits its real end-of-sequence token,
 * so the test makes a token it does emit mid-sequence mean "end of generation" (for both runs alike).
 */
function endingAt(model: Model, id: number): Tokenizer {
  return new Tokenizer({ ...vocabFromGguf(model.file), eotId: id });
}

describe('batched decoding gives each prompt exactly the tokens it gets alone', () => {
  describe('stories260K', () => {
    let model: Model;
    let tokenizer: Tokenizer;
    const prompts = [
      'Once upon a time',
      'Lily and Tom went to the park. They saw a big dog',
      'The sun',
      'One day, a little bird',
      'Tim had a red ball. He',
    ];
    beforeAll(async () => {
      model = await Model.load(gpu, await openAsBlob(STORIES), { maxContext: 128 });
      tokenizer = new Tokenizer(vocabFromGguf(model.file));
    });
    afterAll(() => model?.free());

    it('greedy: prompts of different lengths ending on a stop string and on the token budget, more prompts than slots', async () => {
      const options = { maxTokens: 20, temperature: 0, stop: ['Lily'] };
      const single = await alone(model, tokenizer, prompts, options);
      const batched = await generateBatch(model, tokenizer, prompts, { ...options, batchSize: 3 });
      console.log(`[batch stories260K] stop reasons ${single.map((r) => `${r.stopReason}/${r.tokens.length}`).join(', ')}`);
      expect(batched.map(outcome)).toEqual(single.map(outcome));
      expect(single.map((r) => r.stopReason)).toEqual(expect.arrayContaining(['stop-string', 'max-tokens']));
    });

    it('seeded sampling (temperature, top-k, top-p): each sequence draws as it does alone', async () => {
      const options = { maxTokens: 12, temperature: 1, topK: 40, topP: 0.95, seed: 3 };
      const single = await alone(model, tokenizer, prompts.slice(0, 4), options);
      const batched = await generateBatch(model, tokenizer, prompts.slice(0, 4), { ...options, batchSize: 4 });
      expect(batched.map(outcome)).toEqual(single.map(outcome));
      const greedy = await alone(model, tokenizer, prompts.slice(0, 4), { ...options, temperature: 0 });
      expect(single.map((r) => r.tokens)).not.toEqual(greedy.map((r) => r.tokens));
    });
  });

  it('a Q4_0 model, greedy, more prompts than one step takes: sequences end at different steps and their slots are reused', async () => {
    const model = await tinyModel({});
    try {
      const plain = new Tokenizer(vocabFromGguf(model.file));
      const prompts = randomPrompts(BATCH_STEP_ROWS + 3, model.config.nVocab, SEED);
      const options = { maxTokens: 16, temperature: 0 };
      // End generation at the 6th token the third prompt generates alone: that sequence, and any other emitting it, ends early.
      const reference = await alone(model, plain, prompts.slice(2, 3), options);
      const tokenizer = endingAt(model, reference[0].tokens[5]);
      const single = await alone(model, tokenizer, prompts, options);
      const batched = await generateBatch(model, tokenizer, prompts, { ...options, batchSize: BATCH_STEP_ROWS + 2 });
      console.log(`[batch Q4_0] seed ${SEED}, stop reasons ${single.map((r) => `${r.stopReason}/${r.tokens.length}`).join(', ')}`);
      expect(batched.map(outcome)).toEqual(single.map(outcome));
      expect(single[2]).toMatchObject({ stopReason: 'end-of-generation', tokens: reference[0].tokens.slice(0, 5) });
      expect(single.map((r) => r.stopReason)).toContain('max-tokens');
    } finally {
      model.free();
    }
  });

  it('a Qwen2-shaped model (q/k/v biases, tied output head), greedy, with the f32 KV cache', async () => {
    const model = await tinyModel({ architecture: 'qwen2', weightType: 'Q8_0', headCount: 2, headCountKv: 1 }, 'f32');
    try {
      const tokenizer = new Tokenizer(vocabFromGguf(model.file));
      const prompts = randomPrompts(4, model.config.nVocab, SEED + 1);
      const options = { maxTokens: 12, temperature: 0 };
      const single = await alone(model, tokenizer, prompts, options);
      const batched = await generateBatch(model, tokenizer, prompts, { ...options, batchSize: 4 });
      expect(batched.map(outcome)).toEqual(single.map(outcome));
    } finally {
      model.free();
    }
  });

  it('with a LoRA adapter applied, which changes the text, to every sequence of the batch', async () => {
    const model = await tinyModel({});
    const config: LoraConfig = { rank: 4, alpha: 8, dropout: 0, targets: PROJECTIONS, seed: SEED };
    const next = seededRandom(SEED);
    const values = Float32Array.from({ length: loraLayout(model.config, config).totalFloats }, () => (next() - 0.5) * 0.5);
    const adapter = LoraAdapter.fromValues(gpu, model.config, config, values);
    try {
      const tokenizer = new Tokenizer(vocabFromGguf(model.file));
      const prompts = randomPrompts(4, model.config.nVocab, SEED + 2);
      const options = { maxTokens: 12, temperature: 0 };
      const base = await alone(model, tokenizer, prompts, options);
      model.useAdapter(adapter);
      const single = await alone(model, tokenizer, prompts, options);
      const batched = await generateBatch(model, tokenizer, prompts, { ...options, batchSize: 4 });
      expect(batched.map(outcome)).toEqual(single.map(outcome));
      expect(single.map((r) => r.tokens)).not.toEqual(base.map((r) => r.tokens));
    } finally {
      model.useAdapter(undefined);
      adapter.free();
      model.free();
    }
  });
});

describe('generateBatch', () => {
  let model: Model;
  let tokenizer: Tokenizer;
  beforeAll(async () => {
    model = await tinyModel({});
    tokenizer = new Tokenizer(vocabFromGguf(model.file));
  });
  afterAll(() => model?.free());

  it("streams each prompt's text to onText with its index, and returns the results in prompt order", async () => {
    const prompts = randomPrompts(3, model.config.nVocab, SEED + 3);
    const pieces: string[][] = [[], [], []];
    const results = await generateBatch(model, tokenizer, prompts, {
      maxTokens: 8,
      temperature: 0,
      onText: (i, text) => pieces[i].push(text),
    });
    expect(pieces.map((p) => p.join(''))).toEqual(results.map((r) => r.text));
    expect(results.map((r) => r.promptTokens)).toEqual(prompts.map((p) => p.length));
  });

  it('refuses a batch size that is not a whole number ≥ 1', async () => {
    await expect(generateBatch(model, tokenizer, [[1, 5]], { maxTokens: 4, temperature: 0, batchSize: 0 })).rejects.toThrow(
      /batch size 0 must be a whole number ≥ 1/,
    );
  });

  it('names the prompt that does not fit the context', async () => {
    const prompts = [[1, 5, 6], Array.from({ length: 200 }, () => 9)];
    await expect(
      generateBatch(model, tokenizer, prompts, { maxTokens: 4, temperature: 0, promptNames: ['problem a', 'problem b'] }),
    ).rejects.toThrow(/^problem b: the prompt has 200 tokens but the context holds 96/);
  });

  it('leaves a slot that sits out a step (between two that run) as it was: its sequence goes on as if never paused', async () => {
    const prompts = randomPrompts(3, model.config.nVocab, SEED + 5);
    const greedy = { temperature: 0 };
    const expected = await generate(model, tokenizer, prompts[1], { maxTokens: 3, ...greedy });
    const decoder = BatchDecoder.create(model, 3, 64);
    try {
      const next: number[] = [];
      for (const [slot, prompt] of prompts.entries()) next.push(await decoder.prefill(slot, prompt, greedy, 0));
      const second = await decoder.step(
        next.map((token, slot) => ({ slot, token, u: 0 })),
        greedy,
      );
      const slotFloats = decoder.cache.slotBytes / 4;
      const slotKeys = () => Promise.all(decoder.cache.keys.map((k) => gpu.readF32(k, slotFloats, slotFloats)));
      const before = await slotKeys();
      await decoder.step(
        [
          { slot: 0, token: second[0], u: 0 },
          { slot: 2, token: second[2], u: 0 },
        ],
        greedy,
      );
      expect(await slotKeys()).toEqual(before);
      expect(decoder.cache.lengths[1]).toBe(prompts[1].length + 1);
      const [third] = await decoder.step([{ slot: 1, token: second[1], u: 0 }], greedy);
      expect([next[1], second[1], third]).toEqual(expected.tokens);
    } finally {
      decoder.free();
    }
  });

  it('frees its batch KV cache when done, and when cancelled', async () => {
    const before = gpu.buffers.bytesInUse;
    await generateBatch(model, tokenizer, randomPrompts(3, model.config.nVocab, SEED), { maxTokens: 4, temperature: 0 });
    expect(gpu.buffers.bytesInUse).toBe(before);
    const controller = new AbortController();
    controller.abort(new Error('cancelled by the user'));
    await expect(
      generateBatch(model, tokenizer, randomPrompts(3, model.config.nVocab, SEED), {
        maxTokens: 4,
        temperature: 0,
        signal: controller.signal,
      }),
    ).rejects.toThrow(/cancelled/);
    expect(gpu.buffers.bytesInUse).toBe(before);
  });
});

describe('memory of a decode batch', () => {
  it('is planned exactly: the batch items of the plan are the bytes the decoder allocates', async () => {
    const model = await tinyModel({});
    try {
      const plan = model.memoryPlan(10, 64);
      const batchItems = plan.items.filter((i) => i.label.startsWith('batch'));
      expect(batchItems.map((i) => i.label)).toEqual([
        'batch KV cache (10 × 64 tokens, f16-packed)',
        `batch decode activations (${BATCH_STEP_ROWS}-row step)`,
      ]);
      // 2 layers × (K + V) × 10 slots × 64 positions × 2 KV heads × head dim 32 × 2 bytes (f16 pairs).
      expect(batchItems[0].bytes).toBe(2 * 2 * 10 * 64 * 2 * 32 * 2);
      const before = gpu.buffers.bytesInUse;
      const decoder = BatchDecoder.create(model, 10, 64);
      expect(gpu.buffers.bytesInUse - before).toBe(batchItems[0].bytes + batchItems[1].bytes);
      decoder.free();
      expect(gpu.buffers.bytesInUse).toBe(before);
      expect(plan.totalBytes - model.memoryPlan().totalBytes).toBe(batchItems[0].bytes + batchItems[1].bytes);
    } finally {
      model.free();
    }
  });

  it('refuses a batch that does not fit the budget the model was loaded with, with the numbers, before allocating', async () => {
    const tiny = buildTinyModel(tinyLlamaSpec(vocabulary, SEED));
    const blob = writeGguf(tiny.metadata, tiny.tensors);
    const probe = await Model.load(gpu, blob, { maxContext: 96, maxStepTokens: 16 });
    const alone = probe.memoryPlan().totalBytes;
    probe.free();
    // Room for the model and a little more: two sequences fit, eight do not.
    const budgetBytes = alone + 2 * 2 * 2 * 96 * 2 * 32 * 4 + 200_000;
    const model = await Model.load(gpu, blob, { maxContext: 96, maxStepTokens: 16, budgetBytes });
    try {
      const tokenizer = new Tokenizer(vocabFromGguf(model.file));
      expect(model.memoryPlan(2).problems).toEqual([]);
      const before = gpu.buffers.bytesInUse;
      const prompts = randomPrompts(8, model.config.nVocab, SEED);
      await expect(generateBatch(model, tokenizer, prompts, { maxTokens: 80, temperature: 0, batchSize: 8 })).rejects.toThrow(
        /^decode batch of 8: the model with 8 sequences of 96 positions does not fit this GPU: needs [\d.]+ [KM]iB of GPU memory but [\d.]+ [KM]iB is available — Plan: .*batch KV cache \(8 × 96 tokens, f16-packed\)\s+[\d.]+ [KM]iB/,
      );
      expect(gpu.buffers.bytesInUse).toBe(before);
    } finally {
      model.free();
    }
  });

  it("names the batch KV cache layer that exceeds the device's buffer size", async () => {
    const model = await tinyModel({});
    try {
      const plan = model.memoryPlan(64);
      const limits = { maxBufferSize: 1 << 19, maxStorageBufferBindingSize: 1 << 30 };
      const small = planInferenceMemory(model.file, model.config, limits, { maxContext: 96, maxStepTokens: 16, batch: 64 });
      expect(plan.problems).toEqual([]);
      expect(small.problems.join('\n')).toMatch(
        /one layer of the 64-sequence batch KV cache needs 768 KiB in one buffer; the device allows 512 KiB \(use a smaller batch or a shorter context\)/,
      );
    } finally {
      model.free();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAsBlob } from 'node:fs';
import type { LlamaModel } from 'node-llama-cpp';
import { testGpu } from '../setup/testGpu';
import { sharedData } from '../sharedData';
import { llamaCppGreedy, llamaCppNextTokenProbabilities, loadLlamaCppModel } from '../setup/llamaCpp';
import { Model } from '../../src/model/model';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';
import { STORED_PRECISIONS, type StoredPrecision } from '../../src/kernels/storedValues';

const MODEL_PATH = sharedData('tiny-models', 'stories260K.gguf');

/**
 * How far our next-token probabilities may be from llama.cpp's, by KV cache precision (the same on both sides).
 * f32: both sides compute in f32 from the same F32 weights; only summation order differs (≈1e-6 relative).
 * f16: both round keys and values to f16 (2⁻¹¹ relative), and llama.cpp also rounds each query and each row of
 * attention probabilities to f16 for its f16 products, which we keep in f32.
 */
const PROBABILITY_TOLERANCE: Record<StoredPrecision, number> = { f32: 1e-4, 'f16-packed': 4e-3 };

const models: Partial<Record<StoredPrecision, Model>> = {};
let tokenizer: Tokenizer;
let reference: LlamaModel;

beforeAll(async () => {
  const gpu = await testGpu();
  for (const kvPrecision of STORED_PRECISIONS)
    models[kvPrecision] = await Model.load(gpu, await openAsBlob(MODEL_PATH), { maxContext: 256, kvPrecision });
  tokenizer = new Tokenizer(vocabFromGguf(models.f32!.file));
  reference = await loadLlamaCppModel(MODEL_PATH);
});

afterAll(async () => {
  for (const model of Object.values(models)) model.free();
  await reference?.dispose();
});

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

function softmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

describe.each(STORED_PRECISIONS)('stories260K (a real pretrained TinyStories Llama) against llama.cpp, KV cache %s', (kvCache) => {
  it('continues "Once upon a time" greedily for 64 tokens exactly as llama.cpp does', async () => {
    const ours = models[kvCache]!;
    const prompt = tokenizer.encode('Once upon a time');
    const expected = await llamaCppGreedy(reference, prompt, 64, { kvCache });
    ours.reset();
    const got: number[] = [];
    let logits = await ours.forward(prompt, 'last');
    for (let i = 0; i < 64; i++) {
      got.push(argmax(logits));
      logits = await ours.forward([got[i]], 'last');
    }
    expect(tokenizer.decode(got)).toBe(tokenizer.decode(expected));
    expect(got).toEqual(expected);
    expect(tokenizer.decode(got)).toMatch(/^, there was a little girl named Lily\. She loved to play outside in the park\. One day,/);
  });

  it('gives the same next-token probabilities as llama.cpp at every position of a 128-token prompt', async () => {
    const text =
      'Once upon a time, there was a big dog named Max. Max liked to run and jump in the park with his friend, a small cat. ' +
      'One day, Max saw a red ball under a tree. He wanted to play with it, so he ran very fast. The cat was scared and hid. ' +
      'Max said, "Do not be scared, cat! Let us play together." The cat smiled and they played all day long.';
    const tokens = tokenizer.encode(text).slice(0, 128);
    expect(tokens.length).toBe(128);
    const ours = models[kvCache]!;
    const expected = await llamaCppNextTokenProbabilities(reference, tokens, ours.config.nVocab, { kvCache });
    ours.reset();
    const logits = await ours.forward(tokens, 'all');
    const V = ours.config.nVocab;
    let maxDiff = 0;
    for (let t = 0; t < tokens.length; t++) {
      const p = softmax(logits.subarray(t * V, (t + 1) * V));
      for (let i = 0; i < V; i++) maxDiff = Math.max(maxDiff, Math.abs(p[i] - expected[t][i]));
      expect(argmax(logits.subarray(t * V, (t + 1) * V)), `top-1 at position ${t}`).toBe(argmax(expected[t]));
    }
    console.log(`[stories260K ${kvCache}] max |p_ours − p_llama.cpp| over 128 positions × ${V} tokens: ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThan(PROBABILITY_TOLERANCE[kvCache]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAsBlob } from 'node:fs';
import { testGpu } from '../setup/testGpu';
import { sharedData } from '../sharedData';
import { Model } from '../../src/model/model';
import { generate } from '../../src/model/generate';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';

let model: Model;
let tokenizer: Tokenizer;

beforeAll(async () => {
  model = await Model.load(await testGpu(), await openAsBlob(sharedData('tiny-models', 'stories260K.gguf')), { maxContext: 128 });
  tokenizer = new Tokenizer(vocabFromGguf(model.file));
});

afterAll(() => model?.free());

describe('generation on stories260K', () => {
  it("greedy decoding gives llama.cpp's continuation and streams it piece by piece", async () => {
    const pieces: string[] = [];
    const result = await generate(model, tokenizer, 'Once upon a time', { maxTokens: 12, temperature: 0, onText: (t) => pieces.push(t) });
    // llama.cpp's greedy output for this prompt (checked token for token in stories260k.test.ts).
    expect(result.text).toMatch(/^, there was a little girl named Lily\./);
    expect(pieces.join('')).toBe(result.text);
    expect(result.tokens).toHaveLength(12);
    expect(result.stopReason).toBe('max-tokens');
    expect(result.promptTokens).toBe(5); // BOS + 4 tokens
  });

  it('stops before a stop string and leaves it out', async () => {
    const result = await generate(model, tokenizer, 'Once upon a time', { maxTokens: 40, temperature: 0, stop: ['Lily'] });
    expect(result.text).toBe(', there was a little girl named ');
    expect(result.stopReason).toBe('stop-string');
  });

  it('samples reproducibly for a seed, and differently for another seed', async () => {
    const options = { maxTokens: 12, temperature: 1, topK: 40, topP: 0.95 };
    const a = await generate(model, tokenizer, 'Once upon a time', { ...options, seed: 1 });
    const b = await generate(model, tokenizer, 'Once upon a time', { ...options, seed: 1 });
    const c = await generate(model, tokenizer, 'Once upon a time', { ...options, seed: 2 });
    expect(b.tokens).toEqual(a.tokens);
    expect(c.tokens).not.toEqual(a.tokens);
  });

  it('refuses a prompt that does not fit the context', async () => {
    const long = 'Once upon a time there was a cat. '.repeat(40);
    await expect(generate(model, tokenizer, long, { maxTokens: 4, temperature: 0 })).rejects.toThrow(/context holds 128/);
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled by the user'));
    await expect(generate(model, tokenizer, 'Once', { maxTokens: 4, temperature: 0, signal: controller.signal })).rejects.toThrow(
      /cancelled/,
    );
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openAsBlob } from 'node:fs';
import { testGpu } from '../setup/testGpu';
import { sharedData } from '../sharedData';
import { buildTinyModel, readGguf, writeGguf } from '../../src/formats/gguf';
import { Model } from '../../src/model/model';
import { generate, promptTokenIds, SequenceGeneration, type GenerateOptions, type GenerateResult } from '../../src/model/generate';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';
import { seededRandom } from '../../src/util/random';
import { tinyLlamaSpec } from './tinyLlama';

// generate queues decode steps ahead of the tokens it reads back (src/model/decodePipeline.ts); these tests hold it
// to what one step at a time gives: the same tokens, stop reason, cache position and dispatches.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const STORIES = sharedData('tiny-models', 'stories260K.gguf');
const SEED = 20251205;

/**
 * The reference: generation one step per token, each token read back before the next step is recorded with it
 * (Model.forwardSample), drawing, stopping and cancelling as generate does.
 */
async function oneStepAtATime(model: Model, tokenizer: Tokenizer, promptIds: number[], options: GenerateOptions): Promise<GenerateResult> {
  model.reset();
  const sequence = new SequenceGeneration(tokenizer, promptIds, options);
  let input: readonly number[] = promptIds;
  while (sequence.wantsStep(model.position, input.length, model.cache.maxCtx)) {
    if (options.signal?.aborted) throw options.signal.reason;
    const id = await model.forwardSample(input, options, sequence.random());
    sequence.accept(id);
    input = [id];
  }
  return sequence.finish(0, 0);
}

type Generation = (model: Model, tokenizer: Tokenizer, promptIds: number[], options: GenerateOptions) => Promise<GenerateResult>;

/**
 * What must not differ between the two: all but the timings, plus the cache position, the dispatches run and those
 * of the last step (what the bench counts per decoded token).
 */
async function outcome(how: Generation, model: Model, tokenizer: Tokenizer, promptIds: number[], options: GenerateOptions) {
  const before = model.gpu.dispatchCount;
  const r = await how(model, tokenizer, promptIds, options);
  const dispatches = model.gpu.dispatchCount - before;
  const { tokens, text, stopReason, promptTokens } = r;
  return { tokens, text, stopReason, promptTokens, position: model.position, dispatches, lastStep: model.stepDispatches };
}

interface Case {
  name: string;
  load: () => Promise<Model>;
  prompt: (model: Model) => string | number[];
}

const cases: Case[] = [
  {
    name: 'stories260K',
    load: async () => Model.load(await testGpu(), await openAsBlob(STORIES), { maxContext: 128 }),
    prompt: () => 'Once upon a time',
  },
  {
    name: 'a Q4_0 test model (seeded weights, prefill in several chunks)',
    load: async () => {
      const tiny = buildTinyModel(tinyLlamaSpec(await readGguf(await openAsBlob(STORIES)), SEED));
      return Model.load(await testGpu(), writeGguf(tiny.metadata, tiny.tensors), { maxContext: 96, maxStepTokens: 16 });
    },
    prompt: (model) => {
      const next = seededRandom(SEED);
      return [1, ...Array.from({ length: 20 }, () => 3 + Math.floor(next() * (model.config.nVocab - 3)))];
    },
  },
];

describe.each(cases)('pipelined decode on $name gives what one step at a time gives', ({ load, prompt: makePrompt }) => {
  let model: Model;
  let tokenizer: Tokenizer;
  let prompt: number[];

  beforeAll(async () => {
    model = await load();
    tokenizer = new Tokenizer(vocabFromGguf(model.file));
    prompt = promptTokenIds(tokenizer, makePrompt(model), model.cache.maxCtx);
    console.log(`[decodePipeline] seed ${SEED}`);
  });
  afterAll(() => model?.free());

  it('greedy: the same tokens, and no step queued past the token budget', async () => {
    const options = { maxTokens: 24, temperature: 0 };
    const reference = await outcome(oneStepAtATime, model, tokenizer, prompt, options);
    expect(reference.stopReason).toBe('max-tokens');
    expect(await outcome(generate, model, tokenizer, prompt, options)).toEqual(reference);
  });

  it('seeded sampling: the same draws in the same order, so the same tokens', async () => {
    const options = { maxTokens: 16, temperature: 1.5, topK: 40, topP: 0.95, seed: 7 };
    const reference = await outcome(oneStepAtATime, model, tokenizer, prompt, options);
    expect(await outcome(generate, model, tokenizer, prompt, options)).toEqual(reference);
    const greedy = await outcome(generate, model, tokenizer, prompt, { ...options, temperature: 0 });
    expect(greedy.tokens).not.toEqual(reference.tokens);
  });

  it('token budgets of 0, 1 and 2: no decode step, none, and one', async () => {
    for (const maxTokens of [0, 1, 2]) {
      const options = { maxTokens, temperature: 0 };
      const reference = await outcome(oneStepAtATime, model, tokenizer, prompt, options);
      expect(reference.tokens).toHaveLength(maxTokens);
      expect(await outcome(generate, model, tokenizer, prompt, options)).toEqual(reference);
    }
  });

  it('ending at the end-of-generation token mid-way: the steps queued past it are rolled back', async () => {
    // A test model never emits its end-of-sequence token: make the 6th token the greedy text generates mean it.
    const plain = await generate(model, tokenizer, prompt, { maxTokens: 12, temperature: 0 });
    const ending = new Tokenizer({ ...vocabFromGguf(model.file), eotId: plain.tokens[5] });
    const options = { maxTokens: 30, temperature: 0 };
    const reference = await outcome(oneStepAtATime, model, ending, prompt, options);
    const referenceNext = await model.forward([plain.tokens[5]], 'last');
    const pipelined = await outcome(generate, model, ending, prompt, options);
    expect(pipelined.dispatches).toBeGreaterThan(reference.dispatches);
    expect({ ...pipelined, dispatches: 0 }).toEqual({ ...reference, dispatches: 0 });
    expect(reference).toMatchObject({ stopReason: 'end-of-generation', tokens: plain.tokens.slice(0, 5) });
    // The end token is the input of a step that never runs: every accepted token but it is in the cache.
    expect(pipelined.position).toBe(pipelined.promptTokens + pipelined.tokens.length);
    // The next step reads every cached position: those of the steps run past the end were overwritten or ignored.
    expect(await model.forward([plain.tokens[5]], 'last')).toEqual(referenceNext);
  });

  it('ending on a stop string mid-way: the steps queued past it are rolled back', async () => {
    const plain = await generate(model, tokenizer, prompt, { maxTokens: 12, temperature: 0 });
    const stop = tokenizer.decode(plain.tokens.slice(6, 8));
    const options = { maxTokens: 30, temperature: 0, stop: [stop] };
    const reference = await outcome(oneStepAtATime, model, tokenizer, prompt, options);
    const last = reference.tokens.at(-1)!;
    const referenceNext = await model.forward([last], 'last');
    const pipelined = await outcome(generate, model, tokenizer, prompt, options);
    expect(pipelined.dispatches).toBeGreaterThan(reference.dispatches);
    expect({ ...pipelined, dispatches: 0 }).toEqual({ ...reference, dispatches: 0 });
    expect(reference.stopReason).toBe('stop-string');
    // The token that completed the stop string was accepted but never fed back.
    expect(pipelined.position).toBe(pipelined.promptTokens + pipelined.tokens.length - 1);
    // The next step reads every cached position: those of the steps run past the end were overwritten or ignored.
    expect(await model.forward([last], 'last')).toEqual(referenceNext);
  });

  it('a full context ends the text at the same token, with no step queued past it', async () => {
    const long = Array.from({ length: model.cache.maxCtx - 10 }, (_, i) => prompt[i % prompt.length]);
    const options = { maxTokens: 40, temperature: 0 };
    const reference = await outcome(oneStepAtATime, model, tokenizer, long, options);
    expect(reference).toMatchObject({ stopReason: 'context-full', position: model.cache.maxCtx });
    expect(await outcome(generate, model, tokenizer, long, options)).toEqual(reference);
  });

  it('cancelling mid-way throws the reason, leaving the cache as one step at a time does; the next generation matches', async () => {
    const cancelled = async (how: Generation) => {
      const controller = new AbortController();
      const pieces: string[] = [];
      const onText = (text: string) => {
        pieces.push(text);
        if (pieces.length === 3) controller.abort(new Error('cancelled by the user'));
      };
      const run = how(model, tokenizer, prompt, { maxTokens: 30, temperature: 0, onText, signal: controller.signal });
      await expect(run).rejects.toThrow('cancelled by the user');
      return { pieces, position: model.position };
    };
    const reference = await cancelled(oneStepAtATime);
    expect(await cancelled(generate)).toEqual(reference);
    const options = { maxTokens: 8, temperature: 0 };
    expect(await outcome(generate, model, tokenizer, prompt, options)).toEqual(
      await outcome(oneStepAtATime, model, tokenizer, prompt, options),
    );
  });
});

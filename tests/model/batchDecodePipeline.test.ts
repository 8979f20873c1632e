import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openAsBlob } from 'node:fs';
import { testGpu } from '../setup/testGpu';
import { sharedData } from '../sharedData';
import type { Gpu } from '../../src/gpu/gpu';
import { Model } from '../../src/model/model';
import { generate, SequenceGeneration, type GenerateOptions, type GenerateResult } from '../../src/model/generate';
import { generateBatch, type GenerateBatchOptions } from '../../src/model/generateBatch';
import { BatchDecoder } from '../../src/model/batchDecode';
import { decodeWhileStable, type StableRow } from '../../src/model/batchDecodePipeline';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';

// generateBatch queues decode steps ahead while no sequence ends (src/model/batchDecodePipeline.ts); these tests
// hold it to one step at a time and to `generate` alone: the same tokens, stop reasons and slot lengths.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

const STORIES = sharedData('tiny-models', 'stories260K.gguf');
const SLOT_CONTEXT = 64;

const PROMPTS = [
  'Once upon a time',
  'Lily and Tom went to the park. They saw a big dog',
  'The sun',
  'One day, a little bird flew over the house and saw a cat',
  'Tim had a red ball. He',
  'Mom',
  'The little girl wanted to play with her friends, but it was raining',
];

let gpu: Gpu;
let model: Model;
let tokenizer: Tokenizer;

beforeAll(async () => {
  gpu = await testGpu();
  model = await Model.load(gpu, await openAsBlob(STORIES), { maxContext: 128 });
  tokenizer = new Tokenizer(vocabFromGguf(model.file));
});
afterAll(() => model?.free());

/** A tokenizer that also ends generation at `id`, a token the text emits mid-way (for every run alike). */
const endingAt = (id: number) => new Tokenizer({ ...vocabFromGguf(model.file), eotId: id });

type Accept = (row: StableRow, id: number, position: number) => boolean;

/** The reference: one synced step at a time over the same rows, until a step ends a sequence. */
async function oneStepAtATime(
  decoder: BatchDecoder,
  rows: readonly StableRow[],
  options: GenerateOptions,
  accept: Accept,
): Promise<number[]> {
  const ended: number[] = [];
  while (ended.length === 0) {
    const sampled = await decoder.step(
      rows.map((row) => ({ slot: row.slot, token: row.token, u: row.sequence.random() })),
      options,
    );
    for (const [k, row] of rows.entries()) if (!accept(row, sampled[k], decoder.cache.lengths[row.slot])) ended.push(row.slot);
  }
  return ended;
}

/**
 * Prefills one slot per prompt, decodes them together until a sequence ends, then runs one more step on every slot
 * (ended ones too, on the last token they took), which reads as many positions as each slot's length says.
 */
async function stretch(tok: Tokenizer, prompts: readonly string[], options: GenerateOptions, pipelined: boolean) {
  const decoder = BatchDecoder.create(model, prompts.length, SLOT_CONTEXT);
  try {
    const rows: StableRow[] = [];
    for (const [slot, prompt] of prompts.entries()) {
      const ids = tok.encode(prompt);
      const sequence = new SequenceGeneration(tok, ids, options);
      const token = await decoder.prefill(slot, ids, options, sequence.random());
      sequence.accept(token);
      rows.push({ slot, sequence, token });
    }
    const accept: Accept = (row, id, position) => {
      row.sequence.accept(id);
      row.token = id;
      return row.sequence.wantsStep(position, 1, model.cache.maxCtx);
    };
    const before = gpu.dispatchCount;
    const ended = pipelined
      ? await decodeWhileStable(decoder, rows, options, model.cache.maxCtx, accept)
      : await oneStepAtATime(decoder, rows, options, accept);
    const dispatches = gpu.dispatchCount - before;
    const lengths = [...decoder.cache.lengths];
    const next = await decoder.step(
      rows.map((row) => ({ slot: row.slot, token: row.token, u: 0.5 })),
      options,
    );
    const sequences = rows.map((row) => ({ tokens: row.sequence.tokens, stopReason: row.sequence.stopReason, done: row.sequence.done }));
    return { sequences, ended, lengths, dispatches, next };
  } finally {
    decoder.free();
  }
}

async function alone(tok: Tokenizer, prompts: readonly (string | number[])[], options: GenerateOptions): Promise<GenerateResult[]> {
  const results: GenerateResult[] = [];
  for (const prompt of prompts) results.push(await generate(model, tok, prompt, { ...options, onText: undefined }));
  return results;
}

/**
 * What a stable stretch must give, against `generate` alone and against one step at a time (which stops at the
 * first end, where the pipeline also takes the steps it had queued past it): the same sequences ended first; every
 * sequence's tokens those it gets alone (all of them once it ended); every slot's length the prompt and the tokens
 * it ran; and the step after it the token alone gives next, or, for an ended slot, what follows one step at a time.
 */
async function expectStretchAsAlone(tok: Tokenizer, prompts: readonly string[], options: GenerateOptions) {
  const single = await alone(tok, prompts, options);
  const reference = await stretch(tok, prompts, options, false);
  const pipelined = await stretch(tok, prompts, options, true);
  expect(pipelined.ended).toEqual(expect.arrayContaining(reference.ended));
  for (const [k, s] of pipelined.sequences.entries()) {
    const ran = s.stopReason === 'end-of-generation' ? s.tokens.length : s.tokens.length - 1;
    expect(pipelined.lengths[k], `slot ${k}`).toBe(single[k].promptTokens + ran);
    if (s.done) {
      expect(s, `slot ${k}`).toEqual({ tokens: single[k].tokens, stopReason: single[k].stopReason, done: true });
    } else {
      expect(s.tokens, `slot ${k}`).toEqual(single[k].tokens.slice(0, s.tokens.length));
      expect(pipelined.next[k], `slot ${k}`).toBe(single[k].tokens[s.tokens.length]);
    }
  }
  for (const slot of reference.ended) expect(pipelined.next[slot], `slot ${slot}`).toBe(reference.next[slot]);
  return { reference, pipelined };
}

describe('decoding a stable batch with steps queued ahead gives what one step at a time gives', () => {
  const prompts = PROMPTS.slice(0, 3);

  it('a sequence ending mid-way: the others take their tokens of the steps queued past it, its slot forgets them', async () => {
    const options = { maxTokens: 30, temperature: 0 };
    const plain = await generate(model, tokenizer, prompts[1], options);
    // End generation at a token the second text emits mid-way for the first time.
    const end = plain.tokens.findIndex((id, i) => i >= 4 && !plain.tokens.slice(0, i).includes(id));
    const { reference, pipelined } = await expectStretchAsAlone(endingAt(plain.tokens[end]), prompts, options);
    expect(reference.ended).toEqual([1]);
    expect(reference.sequences[1]).toMatchObject({ stopReason: 'end-of-generation', tokens: plain.tokens.slice(0, end) });
    // The steps queued past the end ran: the others took tokens beyond those of one step at a time.
    expect(pipelined.sequences[0].tokens.length).toBeGreaterThan(reference.sequences[0].tokens.length);
  });

  it('the token budget: no step queued past it, so no more dispatches than one step at a time', async () => {
    const options = { maxTokens: 7, temperature: 0 };
    const { reference, pipelined } = await expectStretchAsAlone(tokenizer, prompts, options);
    expect(reference.ended).toEqual([0, 1, 2]);
    expect(reference.sequences.map((s) => s.stopReason)).toEqual(['max-tokens', 'max-tokens', 'max-tokens']);
    expect(pipelined).toEqual(reference);
  });

  it('seeded sampling ending on a stop string: the same draws in the same order', async () => {
    const options = { maxTokens: 30, temperature: 1, topK: 40, topP: 0.95, seed: 11 };
    const sampled = await generate(model, tokenizer, prompts[2], options);
    const stop = tokenizer.decode(sampled.tokens.slice(4, 6));
    const { reference } = await expectStretchAsAlone(tokenizer, prompts, { ...options, stop: [stop] });
    expect(reference.sequences[2].stopReason).toBe('stop-string');
  });

  it('a step that would pass a slot’s context, or that mixes tokens given with ids last sampled, is refused before anything is queued', async () => {
    const decoder = BatchDecoder.create(model, 2, 5);
    try {
      for (const slot of [0, 1]) await decoder.prefill(slot, [1, 5, 6, 7, 8].slice(slot), { temperature: 0 }, 0);
      const before = gpu.dispatchCount;
      const greedy = { temperature: 0 };
      expect(() => decoder.queueStep([{ slot: 0, token: 9, u: 0 }], greedy)).toThrow(/^batch slot 0: the context is full \(5 tokens\)/);
      const mixed = [
        { slot: 1, token: 9, u: 0 },
        { slot: 0, u: 0 },
      ];
      expect(() => decoder.queueStep(mixed, greedy)).toThrow(
        /^batch slot 0: a step runs either the tokens given or the ids last sampled, not both/,
      );
      expect(gpu.dispatchCount).toBe(before);
      expect(decoder.cache.lengths).toEqual([5, 4]);
    } finally {
      decoder.free();
    }
  });
});

const outcome = (r: GenerateResult) => ({ tokens: r.tokens, text: r.text, stopReason: r.stopReason, promptTokens: r.promptTokens });

describe('generateBatch with steps queued ahead gives each prompt what it gets alone', () => {
  it('greedy, fewer slots than prompts: sequences end at different steps (end of generation, stop string, budget) and slots refill', async () => {
    const options = { maxTokens: 24, temperature: 0 };
    const plain = await generate(model, tokenizer, PROMPTS[0], options);
    const tok = endingAt(plain.tokens[3]);
    const second = await generate(model, tok, PROMPTS[1], options);
    const stopping = { ...options, stop: [tokenizer.decode(second.tokens.slice(10, 12))] };
    const single = await alone(tok, PROMPTS, stopping);
    const batched = await generateBatch(model, tok, PROMPTS, { ...stopping, batchSize: 3 });
    console.log(`[batch pipeline greedy] stop reasons ${single.map((r) => `${r.stopReason}/${r.tokens.length}`).join(', ')}`);
    expect(batched.map(outcome)).toEqual(single.map(outcome));
    expect(new Set(single.map((r) => r.stopReason))).toEqual(new Set(['end-of-generation', 'stop-string', 'max-tokens']));
    expect(new Set(single.map((r) => r.tokens.length)).size).toBeGreaterThan(2);
  });

  it('seeded sampling with a stop string, batch of 4 over 7 prompts: each sequence draws as it does alone', async () => {
    const options = { maxTokens: 16, temperature: 1, topK: 40, topP: 0.95, seed: 5, stop: ['.'] };
    const single = await alone(tokenizer, PROMPTS, options);
    const batched = await generateBatch(model, tokenizer, PROMPTS, { ...options, batchSize: 4 });
    console.log(`[batch pipeline sampled] stop reasons ${single.map((r) => `${r.stopReason}/${r.tokens.length}`).join(', ')}`);
    expect(batched.map(outcome)).toEqual(single.map(outcome));
    expect(single.map((r) => r.stopReason)).toContain('stop-string');
  });

  it('a full context ends sequences of different prompt lengths at different steps', async () => {
    const small = await Model.load(gpu, await openAsBlob(STORIES), { maxContext: 40 });
    try {
      const prompts = [20, 33, 27, 36].map((n) => Array.from({ length: n }, (_, i) => [1, 400, 401, 402][i % 4]));
      const options = { maxTokens: 30, temperature: 0 };
      const single: GenerateResult[] = [];
      for (const prompt of prompts) single.push(await generate(small, tokenizer, prompt, options));
      const batched = await generateBatch(small, tokenizer, prompts, { ...options, batchSize: 3 });
      expect(batched.map(outcome)).toEqual(single.map(outcome));
      expect(single.map((r) => r.stopReason)).toEqual(['context-full', 'context-full', 'context-full', 'context-full']);
    } finally {
      small.free();
    }
  });

  it('cancelled mid-run: throws the reason, the results reported before are those alone, and nothing is left allocated', async () => {
    const options = { maxTokens: 20, temperature: 0, stop: ['Lily'] };
    const single = await alone(tokenizer, PROMPTS, options);
    const before = gpu.buffers.bytesInUse;
    const controller = new AbortController();
    const reported = new Map<number, GenerateResult>();
    let pieces = 0;
    const batch: GenerateBatchOptions = {
      ...options,
      batchSize: 3,
      signal: controller.signal,
      onText: () => {
        if (++pieces === 40) controller.abort(new Error('cancelled by the user'));
      },
      onResult: (i, r) => reported.set(i, r),
    };
    await expect(generateBatch(model, tokenizer, PROMPTS, batch)).rejects.toThrow('cancelled by the user');
    expect(reported.size).toBeGreaterThan(0);
    expect(reported.size).toBeLessThan(PROMPTS.length);
    for (const [i, r] of reported) expect(outcome(r)).toEqual(outcome(single[i]));
    expect(gpu.buffers.bytesInUse).toBe(before);
    const again = await generateBatch(model, tokenizer, PROMPTS.slice(0, 4), { ...options, batchSize: 3 });
    expect(again.map(outcome)).toEqual(single.slice(0, 4).map(outcome));
  });
});

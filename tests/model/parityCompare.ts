import { openAsBlob } from 'node:fs';
import type { LlamaModel, Token } from 'node-llama-cpp';
import type { Gpu } from '../../src/gpu/gpu';
import { LoraAdapter, type LoraConfig } from '../../src/model/lora/lora';
import { Model } from '../../src/model/model';
import { Tokenizer, vocabFromGguf } from '../../src/tokenizer';
import { createLlamaCppContext, llamaCppNextTokenProbabilities, loadLlamaCppModel, type LlamaCppContextOptions } from '../setup/llamaCpp';
import { DEFAULT_STORED_PRECISION, type StoredPrecision } from '../../src/kernels/storedValues';

/**
 * Runs one model file in our engine and in llama.cpp (CPU, plain attention, the KV cache in the same precision on
 * both sides: f16 by default, as both default to, or f32) and measures how far
 * apart they are: next-token log-probabilities at every position of a prompt, top-1 choices with llama.cpp's
 * margin at each, and greedy continuations.
 */

/** English, numbers and formulas: long enough for 128 tokens in every parity vocabulary. */
export const PARITY_TEXT =
  'Once upon a time, a student asked: what is 17 × 23? She wrote 17 × 20 = 340 and 17 × 3 = 51, so the answer is 391. ' +
  'Then the teacher said, "Solve x^2 - 5x + 6 = 0." The roots are x = 2 and x = 3, because (x - 2)(x - 3) = 0. ' +
  'In 1492, Columbus sailed the ocean blue; the quick brown fox jumps over the lazy dog. The answer is: 391.';

export const PROMPT_TOKENS = 128;
export const GREEDY_PROMPT_TOKENS = 16;
export const GREEDY_TOKENS = 32;

export interface ParityResult {
  nVocab: number;
  /** max over positions and tokens of |log p_ours − log p_llama.cpp|: logit differences without the shift softmax removes. */
  maxLogProbDiff: number;
  maxProbDiff: number;
  /** Standard deviation of our logits over the vocabulary, averaged over positions: the scale of the differences. */
  logitStd: number;
  /** Per position: llama.cpp's top-1 and its log-probability margin over its top-2; our top-1. */
  top1: { ours: number; reference: number; referenceMargin: number }[];
  greedy: { ours: number[]; reference: number[]; referenceMargins: number[] };
  /** With an adapter on our side: max |Δlog p| between our model with it and without it (what the adapter changes). */
  adapterEffect?: number;
}

/** What runs where: by default the same file on both sides, with no adapter. */
export interface ParityOptions {
  /** Our side applies this adapter (unmerged). */
  ours?: { lora: LoraConfig; values: Float32Array };
  /** llama.cpp's side applies this LoRA GGUF (`--lora`, scale 1). */
  referenceLora?: string;
  /** llama.cpp loads this file instead of the one we load (a merged model). */
  referenceModel?: string;
  /** The text whose first PROMPT_TOKENS tokens are compared (default PARITY_TEXT); its first GREEDY_PROMPT_TOKENS start the greedy runs. */
  text?: string;
  /** Our KV cache's precision, and llama.cpp's to match (default: our default, f16 pairs; llama.cpp F16). */
  kvCache?: StoredPrecision;
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

function logSoftmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(logits, (v) => v - lse);
}

/** max over positions and tokens of |log p_a − log p_b| for two [positions, V] logit arrays. */
function maxLogProbDistance(a: Float32Array, b: Float32Array, V: number): number {
  let max = 0;
  for (let t = 0; t < a.length / V; t++) {
    const la = logSoftmax(a.subarray(t * V, (t + 1) * V));
    const lb = logSoftmax(b.subarray(t * V, (t + 1) * V));
    for (let i = 0; i < V; i++) max = Math.max(max, Math.abs(la[i] - lb[i]));
  }
  return max;
}

/** log p of the most likely token minus log p of the second. */
function topMargin(p: Float32Array): number {
  let a = 0;
  let b = -1;
  for (let i = 1; i < p.length; i++) {
    if (p[i] > p[a]) [a, b] = [i, a];
    else if (b < 0 || p[i] > p[b]) b = i;
  }
  return Math.log(p[a]) - Math.log(p[b]);
}

/** llama.cpp's greedy continuation, the end-of-text token included (random weights may pick it). */
async function llamaCppGreedy(model: LlamaModel, prompt: number[], count: number, options: LlamaCppContextOptions): Promise<number[]> {
  const context = await createLlamaCppContext(model, 256, options);
  try {
    const out: number[] = [];
    for await (const token of context.getSequence().evaluate(prompt as Token[], { temperature: 0, yieldEogToken: true })) {
      out.push(token);
      if (out.length === count) break;
    }
    return out;
  } finally {
    await context.dispose();
  }
}

export async function compareWithLlamaCpp(gpu: Gpu, path: string, options: ParityOptions = {}): Promise<ParityResult> {
  const kvCache = options.kvCache ?? DEFAULT_STORED_PRECISION;
  const ours = await Model.load(gpu, await openAsBlob(path), { maxContext: 256, maxStepTokens: PROMPT_TOKENS, kvPrecision: kvCache });
  const referenceContext = { kvCache, loraPath: options.referenceLora };
  const reference = await loadLlamaCppModel(options.referenceModel ?? path);
  const adapter = options.ours && LoraAdapter.fromValues(gpu, ours.config, options.ours.lora, options.ours.values);
  try {
    const V = ours.config.nVocab;
    const tokens = new Tokenizer(vocabFromGguf(ours.file)).encode(options.text ?? PARITY_TEXT).slice(0, PROMPT_TOKENS);
    if (tokens.length !== PROMPT_TOKENS) throw new Error(`the parity text gives only ${tokens.length} tokens`);

    const expected = await llamaCppNextTokenProbabilities(reference, tokens, V, referenceContext);
    let adapterEffect: number | undefined;
    if (adapter) {
      ours.reset();
      const base = await ours.forward(tokens, 'all');
      ours.useAdapter(adapter);
      ours.reset();
      adapterEffect = maxLogProbDistance(base, await ours.forward(tokens, 'all'), V);
    }
    ours.reset();
    const logits = await ours.forward(tokens, 'all');
    let maxLogProbDiff = 0;
    let maxProbDiff = 0;
    let stdSum = 0;
    const top1: ParityResult['top1'] = [];
    for (let t = 0; t < tokens.length; t++) {
      const row = logits.subarray(t * V, (t + 1) * V);
      const logp = logSoftmax(row);
      const mean = row.reduce((s, v) => s + v, 0) / V;
      stdSum += Math.sqrt(row.reduce((s, v) => s + (v - mean) ** 2, 0) / V);
      for (let i = 0; i < V; i++) {
        maxLogProbDiff = Math.max(maxLogProbDiff, Math.abs(logp[i] - Math.log(expected[t][i])));
        maxProbDiff = Math.max(maxProbDiff, Math.abs(Math.exp(logp[i]) - expected[t][i]));
      }
      top1.push({ ours: argmax(row), reference: argmax(expected[t]), referenceMargin: topMargin(expected[t]) });
    }

    const prompt = tokens.slice(0, GREEDY_PROMPT_TOKENS);
    const refGreedy = await llamaCppGreedy(reference, prompt, GREEDY_TOKENS, referenceContext);
    // llama.cpp's margins along its own greedy path: the distributions after the prompt and each greedy token.
    const pathProbs = await llamaCppNextTokenProbabilities(reference, [...prompt, ...refGreedy.slice(0, -1)], V, referenceContext);
    const referenceMargins = pathProbs.slice(GREEDY_PROMPT_TOKENS - 1).map(topMargin);
    ours.reset();
    const oursGreedy: number[] = [];
    let last = await ours.forward(prompt, 'last');
    for (let i = 0; i < GREEDY_TOKENS; i++) {
      oursGreedy.push(argmax(last));
      if (i + 1 < GREEDY_TOKENS) last = await ours.forward([oursGreedy[i]], 'last');
    }
    return {
      nVocab: V,
      maxLogProbDiff,
      maxProbDiff,
      logitStd: stdSum / tokens.length,
      top1,
      greedy: { ours: oursGreedy, reference: refGreedy, referenceMargins },
      adapterEffect,
    };
  } finally {
    ours.useAdapter(undefined);
    adapter?.free();
    ours.free();
    await reference.dispose();
  }
}

import { LabError } from '../errors';
import type { SamplingOptions } from '../kernels/sampling';
import { TokenStreamDecoder, type Tokenizer } from '../tokenizer';
import { seededRandom } from '../util/random';
import type { Model } from './model';
import { StopStringFilter } from './stopStrings';

export interface GenerateOptions extends SamplingOptions {
  /** Tokens to generate at most. */
  maxTokens: number;
  seed?: number;
  /** Generation ends before the first occurrence of any of these; they are not part of the output. */
  stop?: readonly string[];
  /** Called with each piece of text as soon as it is certain (complete characters, no stop string). */
  onText?: (text: string) => void;
  signal?: AbortSignal;
}

export type StopReason = 'max-tokens' | 'end-of-generation' | 'stop-string' | 'context-full';

export interface GenerateResult {
  text: string;
  tokens: number[];
  promptTokens: number;
  stopReason: StopReason;
  prefillMs: number;
  decodeMs: number;
  /** Generated tokens per second of decoding (after the first token). */
  decodeTokensPerSecond: number;
}

/**
 * Prefill then KV-cache decode: the prompt runs in as few steps as the model's step size allows, then one
 * token at a time, each picked on the GPU. Greedy when temperature ≤ 0; otherwise seeded sampling.
 */
export async function generate(model: Model, tokenizer: Tokenizer, prompt: string | readonly number[], options: GenerateOptions): Promise<GenerateResult> {
  const promptIds = typeof prompt === 'string' ? tokenizer.encode(prompt) : [...prompt];
  if (promptIds.length === 0) throw new LabError('the prompt is empty', 'generate');
  if (!Number.isInteger(options.maxTokens) || options.maxTokens < 0) throw new LabError(`max tokens ${options.maxTokens} must be a whole number ≥ 0`, 'generate');
  model.reset();
  if (promptIds.length >= model.cache.maxCtx) {
    throw new LabError(`the prompt has ${promptIds.length} tokens but the context holds ${model.cache.maxCtx}`, 'generate', 'Shorten the prompt.');
  }
  const random = seededRandom(options.seed ?? 0);
  const decoder = new TokenStreamDecoder(tokenizer);
  const filter = new StopStringFilter(options.stop ?? []);
  const emit = (text: string) => {
    if (text) options.onText?.(text);
  };
  const tokens: number[] = [];
  let stopReason: StopReason = 'max-tokens';
  const start = performance.now();
  let prefillMs = 0;
  let input: readonly number[] = promptIds;
  while (tokens.length < options.maxTokens) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (model.position + input.length > model.cache.maxCtx) {
      stopReason = 'context-full';
      break;
    }
    const id = await model.forwardSample(input, options, random());
    if (tokens.length === 0) prefillMs = performance.now() - start;
    if (tokenizer.isEndOfGeneration(id)) {
      stopReason = 'end-of-generation';
      break;
    }
    tokens.push(id);
    emit(filter.push(decoder.push(id)));
    if (filter.stopped) {
      stopReason = 'stop-string';
      break;
    }
    input = [id];
  }
  if (!filter.stopped) emit(filter.push(decoder.flush()) + filter.flush());
  const decodeMs = performance.now() - start - prefillMs;
  return {
    text: filter.output,
    tokens,
    promptTokens: promptIds.length,
    stopReason,
    prefillMs,
    decodeMs,
    decodeTokensPerSecond: tokens.length > 1 ? ((tokens.length - 1) * 1000) / decodeMs : 0,
  };
}

import { LabError } from '../errors';
import type { SamplingOptions } from '../kernels/sampling';
import { TokenStreamDecoder, type Tokenizer } from '../tokenizer';
import { seededRandom } from '../util/random';
import type { Model } from './model';
import { StopStringFilter } from './stopStrings';
import { decodePipelined } from './decodePipeline';

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

/** The prompt's token ids, refused when empty or when it leaves no room in a `maxCtx`-position context. */
export function promptTokenIds(tokenizer: Tokenizer, prompt: string | readonly number[], maxCtx: number, where = 'generate'): number[] {
  const ids = typeof prompt === 'string' ? tokenizer.encode(prompt) : [...prompt];
  if (ids.length === 0) throw new LabError('the prompt is empty', where);
  if (ids.length >= maxCtx)
    throw new LabError(`the prompt has ${ids.length} tokens but the context holds ${maxCtx}`, where, 'Shorten the prompt.');
  return ids;
}

export function checkMaxTokens(maxTokens: number, where = 'generate'): void {
  if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new LabError(`max tokens ${maxTokens} must be a whole number ≥ 0`, where);
}

/**
 * One sequence's generation as tokens arrive, whoever computes them (`generate` alone, `generateBatch` in a
 * batch): its seeded draws, streamed text, stop strings, token budget and context limit, and why it ended. Both
 * paths drive it the same way, so they stop at the same token for the same reason.
 */
export class SequenceGeneration {
  readonly tokens: number[] = [];
  stopReason: StopReason = 'max-tokens';
  /** Set once no further token is wanted. */
  done = false;
  /** Sampling draws u ∈ [0, 1), one per generated token, from the options' seed. */
  readonly random: () => number;
  private readonly decoder: TokenStreamDecoder;
  private readonly filter: StopStringFilter;

  constructor(
    private readonly tokenizer: Tokenizer,
    readonly promptIds: readonly number[],
    private readonly options: Pick<GenerateOptions, 'maxTokens' | 'seed' | 'stop' | 'onText'>,
  ) {
    this.random = seededRandom(options.seed ?? 0);
    this.decoder = new TokenStreamDecoder(tokenizer);
    this.filter = new StopStringFilter(options.stop ?? []);
  }

  /**
   * Whether a forward of `inputTokens` tokens may run with `position` positions already in the cache of a
   * `maxCtx`-position context; when not, the generation is done (token budget spent, or context full).
   */
  wantsStep(position: number, inputTokens: number, maxCtx: number): boolean {
    if (this.done) return false;
    if (this.tokens.length >= this.options.maxTokens) {
      this.done = true;
    } else if (position + inputTokens > maxCtx) {
      this.stopReason = 'context-full';
      this.done = true;
    }
    return !this.done;
  }

  /**
   * Whether one more step may be queued behind `stepsAhead` steps whose tokens are not accepted yet, with `position`
   * positions in the cache of a `maxCtx`-position context counting theirs: within the token budget and the context,
   * were none of those tokens to end the text. Unlike `wantsStep` it changes nothing.
   */
  mayQueueStep(stepsAhead: number, position: number, maxCtx: number): boolean {
    return !this.done && this.tokens.length + stepsAhead < this.options.maxTokens && position < maxCtx;
  }

  /** Takes the sampled token: the end of generation, or the next token of the text (which may reach a stop string). */
  accept(id: number): void {
    if (this.tokenizer.isEndOfGeneration(id)) {
      this.stopReason = 'end-of-generation';
      this.done = true;
      return;
    }
    this.tokens.push(id);
    this.emit(this.filter.push(this.decoder.push(id)));
    if (this.filter.stopped) {
      this.stopReason = 'stop-string';
      this.done = true;
    }
  }

  /** Ends the text (what the stream decoder and the stop filter held back) and reports the timings given. */
  finish(prefillMs: number, decodeMs: number): GenerateResult {
    if (!this.filter.stopped) this.emit(this.filter.push(this.decoder.flush()) + this.filter.flush());
    const tokens = this.tokens;
    return {
      text: this.filter.output,
      tokens,
      promptTokens: this.promptIds.length,
      stopReason: this.stopReason,
      prefillMs,
      decodeMs,
      decodeTokensPerSecond: tokens.length > 1 && decodeMs > 0 ? ((tokens.length - 1) * 1000) / decodeMs : 0,
    };
  }

  private emit(text: string): void {
    if (text) this.options.onText?.(text);
  }
}

/**
 * Prefill then KV-cache decode: the prompt runs in as few steps as the model's step size allows, then one
 * token at a time, each picked on the GPU, a few steps queued ahead (decodePipeline.ts). Greedy when
 * temperature ≤ 0; otherwise seeded sampling.
 */
export async function generate(
  model: Model,
  tokenizer: Tokenizer,
  prompt: string | readonly number[],
  options: GenerateOptions,
): Promise<GenerateResult> {
  const promptIds = promptTokenIds(tokenizer, prompt, model.cache.maxCtx);
  checkMaxTokens(options.maxTokens);
  model.reset();
  const sequence = new SequenceGeneration(tokenizer, promptIds, options);
  const start = performance.now();
  let prefillMs = 0;
  if (sequence.wantsStep(model.position, promptIds.length, model.cache.maxCtx)) {
    if (options.signal?.aborted) throw options.signal.reason;
    const id = await model.forwardSample(promptIds, options, sequence.random());
    prefillMs = performance.now() - start;
    sequence.accept(id);
    await decodePipelined(model, sequence, options);
  }
  return sequence.finish(prefillMs, performance.now() - start - prefillMs);
}

import { LabError } from '../errors';
import type { Tokenizer } from '../tokenizer';
import type { Model } from './model';
import { BatchDecoder } from './batchDecode';
import { decodeWhileStable } from './batchDecodePipeline';
import { checkMaxTokens, generate, promptTokenIds, SequenceGeneration, type GenerateOptions, type GenerateResult } from './generate';

/** Sequences decoded together unless told otherwise: one full step of the matrix-vector kernel (batchMemory.ts). */
export const DEFAULT_DECODE_BATCH = 8;

export interface GenerateBatchOptions extends Omit<GenerateOptions, 'onText'> {
  /**
   * Sequences decoded together at most; prompts beyond it wait for a sequence to finish and take its slot.
   * Default DEFAULT_DECODE_BATCH. A batch that does not fit the GPU beside the model is refused with its numbers.
   */
  batchSize?: number;
  /** Called with each certain piece of text of prompt `index`. */
  onText?: (index: number, text: string) => void;
  /** How errors name each prompt ("problem 12"); "prompt i" (from 1) by default. */
  promptNames?: readonly string[];
  /**
   * Called with each prompt's result the moment its sequence ends, in the order they end (not prompt order), so a
   * caller can keep finished work when the rest is stopped.
   */
  onResult?: (index: number, result: GenerateResult) => void;
}

/**
 * Generates a completion for every prompt, decoding up to `batchSize` of them together: each prompt is prefilled
 * alone, then every decode step runs one row per unfinished sequence (BatchDecoder), a few steps queued ahead while
 * no sequence ends (batchDecodePipeline.ts). A sequence ends on its own (end of generation, a stop string, its token
 * budget, a full context) and its slot goes to the next prompt.
 * Each result is what `generate` gives for that prompt alone with the same options: the same tokens (greedy or
 * with the same seed; see batchMemory.ts for why they are identical), text and stop reason. Timings are wall
 * times per sequence, so they include the other sequences' work in between.
 */
export async function generateBatch(
  model: Model,
  tokenizer: Tokenizer,
  prompts: readonly (string | readonly number[])[],
  options: GenerateBatchOptions,
): Promise<GenerateResult[]> {
  const maxCtx = model.cache.maxCtx;
  const name = (i: number) => options.promptNames?.[i] ?? `prompt ${i + 1}`;
  checkMaxTokens(options.maxTokens);
  const promptIds = prompts.map((prompt, i) => promptTokenIds(tokenizer, prompt, maxCtx, name(i)));
  const batchSize = options.batchSize ?? DEFAULT_DECODE_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new LabError(`batch size ${batchSize} must be a whole number ≥ 1`, 'generateBatch');
  const slots = Math.min(batchSize, prompts.length);
  if (slots <= 1) {
    const results: GenerateResult[] = [];
    for (const [i, ids] of promptIds.entries()) {
      results.push(await generate(model, tokenizer, ids, { ...options, onText: (text) => options.onText?.(i, text) }));
      options.onResult?.(i, results[i]);
    }
    return results;
  }
  // No sequence reaches past its prompt and token budget, so slots need hold no more than the longest can.
  const slotContext = Math.min(maxCtx, Math.max(...promptIds.map((ids) => ids.length)) + options.maxTokens);
  const decoder = BatchDecoder.create(model, slots, slotContext);
  try {
    return await new BatchRun(decoder, tokenizer, promptIds, options, maxCtx).run();
  } finally {
    decoder.free();
  }
}

/** The scheduling of one generateBatch call: which prompt holds which slot, and what each slot runs next. */
class BatchRun {
  private readonly sequences: SequenceGeneration[];
  private readonly results: GenerateResult[] = [];
  private readonly started: number[] = [];
  private readonly prefillMs: number[] = [];
  /** Slot → the prompt it decodes and the token it runs next. */
  private readonly live = new Map<number, { index: number; token: number }>();
  private nextPrompt = 0;

  constructor(
    private readonly decoder: BatchDecoder,
    tokenizer: Tokenizer,
    promptIds: readonly number[][],
    private readonly options: GenerateBatchOptions,
    private readonly maxCtx: number,
  ) {
    this.sequences = promptIds.map(
      (ids, i) => new SequenceGeneration(tokenizer, ids, { ...options, onText: (text) => options.onText?.(i, text) }),
    );
  }

  async run(): Promise<GenerateResult[]> {
    for (let slot = 0; slot < this.decoder.slots; slot++) await this.fill(slot);
    while (this.live.size > 0) {
      const rows = [...this.live].map(([slot, s]) => ({ slot, sequence: this.sequences[s.index], token: s.token }));
      const ended = await decodeWhileStable(this.decoder, rows, this.options, this.maxCtx, (row, id, position) =>
        this.accept(row.slot, id, position),
      );
      for (const slot of ended) await this.fill(slot);
    }
    return this.results;
  }

  /** Takes the token `slot` sampled, its cache `position` long with it; whether its sequence goes on. */
  private accept(slot: number, id: number, position: number): boolean {
    const { index } = this.live.get(slot)!;
    this.sequences[index].accept(id);
    if (!this.continues(index, position)) return false;
    this.live.set(slot, { index, token: id });
    return true;
  }

  /** Gives `slot` the next prompt that wants a token (finishing those that want none), or leaves it empty. */
  private async fill(slot: number): Promise<void> {
    this.live.delete(slot);
    while (this.nextPrompt < this.sequences.length) {
      const index = this.nextPrompt++;
      const sequence = this.sequences[index];
      this.started[index] = performance.now();
      this.prefillMs[index] = 0;
      if (sequence.wantsStep(0, sequence.promptIds.length, this.maxCtx)) {
        this.checkAborted();
        const id = await this.decoder.prefill(slot, sequence.promptIds, this.options, sequence.random());
        this.prefillMs[index] = performance.now() - this.started[index];
        sequence.accept(id);
        if (this.continues(index, this.decoder.cache.lengths[slot])) {
          this.live.set(slot, { index, token: id });
          return;
        }
      } else {
        this.finish(index);
      }
    }
  }

  /** Whether sequence `index`, with `position` positions cached, wants another step; records its result when not. */
  private continues(index: number, position: number): boolean {
    if (this.sequences[index].wantsStep(position, 1, this.maxCtx)) return true;
    this.finish(index);
    return false;
  }

  private finish(index: number): void {
    const prefillMs = this.prefillMs[index];
    this.results[index] = this.sequences[index].finish(prefillMs, performance.now() - this.started[index] - prefillMs);
    this.options.onResult?.(index, this.results[index]);
  }

  private checkAborted(): void {
    if (this.options.signal?.aborted) throw this.options.signal.reason;
  }
}

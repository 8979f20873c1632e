import { LabError } from '../errors';
import type { Model } from '../model/model';
import { generateBatch } from '../model/generateBatch';
import { TokenStreamDecoder, type Tokenizer } from '../tokenizer';
import { abortError, type Completion, type GenerateOptions, type GenerationRequest, type Generator } from './generator';

/**
 * The evaluation generator over the engine's model: greedy decoding (temperature 0, so a run is reproducible),
 * up to `maxNewTokens` per problem, ending at the prompt style's stop texts. The problems of a batch decode
 * together (generateBatch: one forward per step for all unfinished problems), and each gets exactly the tokens
 * it gets alone, so the batch size changes the speed of a run, never its records. Each completion is reported
 * as its sequence ends, while the others still decode.
 */
export class ModelGenerator implements Generator {
  readonly kind = 'model' as const;

  /** `name` is what results show: the model file, and the adapter once one is applied. */
  constructor(
    readonly name: string,
    private readonly model: Model,
    private readonly tokenizer: Tokenizer,
  ) {}

  async generate(batch: readonly GenerationRequest[], options: GenerateOptions): Promise<Completion[]> {
    const { signal } = options;
    if (signal?.aborted) throw abortError();
    const stop = options.stop ?? [];
    const completions: Completion[] = [];
    let lastFinished = performance.now();
    try {
      await generateBatch(
        this.model,
        this.tokenizer,
        batch.map((r) => r.prompt),
        {
          maxTokens: options.maxNewTokens,
          temperature: 0,
          stop,
          signal,
          batchSize: batch.length,
          promptNames: batch.map((r) => `problem ${r.id}`),
          onResult: (i, result) => {
            const now = performance.now();
            let text = result.text;
            if (result.stopReason === 'stop-string') text += this.stopReached(result.tokens, text.length, stop);
            completions[i] = {
              id: batch[i].id,
              text,
              promptTokens: result.promptTokens,
              outputTokens: result.tokens.length,
              timeMs: now - lastFinished,
            };
            lastFinished = now;
            options.onCompletion?.(completions[i]);
          },
        },
      );
    } catch (error) {
      // The engine aborts with the job's reason; the runner knows a stop by its AbortError.
      if (signal?.aborted) throw abortError();
      throw error;
    }
    return completions;
  }

  /**
   * Which stop text ended the completion: `generate` leaves it out of its text, so decode the tokens again (the
   * same streaming decode, so the same characters) and read what follows the kept text.
   */
  private stopReached(tokens: readonly number[], keptChars: number, stop: readonly string[]): string {
    const decoder = new TokenStreamDecoder(this.tokenizer);
    const raw = tokens.map((id) => decoder.push(id)).join('') + decoder.flush();
    const matched = stop.find((s) => raw.startsWith(s, keptChars));
    if (matched === undefined) throw new LabError('generation ended at a stop text that is not in its output', this.name);
    return matched;
  }
}

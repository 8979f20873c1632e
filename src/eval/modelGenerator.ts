import { LabError } from '../errors';
import type { Model } from '../model/model';
import { generate } from '../model/generate';
import { TokenStreamDecoder, type Tokenizer } from '../tokenizer';
import { abortError, type Completion, type GenerateOptions, type GenerationRequest, type Generator } from './generator';

/**
 * The evaluation generator over the engine's model: greedy decoding (temperature 0, so a run is reproducible),
 * up to `maxNewTokens` per problem, ending at the prompt style's stop texts. Prompts run one after another —
 * the model decodes one sequence at a time, so a batch is a loop here, not one batched forward.
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
    const completions: Completion[] = [];
    for (const request of batch) completions.push(await this.complete(request, options));
    return completions;
  }

  private async complete(request: GenerationRequest, options: GenerateOptions): Promise<Completion> {
    const { signal } = options;
    if (signal?.aborted) throw abortError();
    const stop = options.stop ?? [];
    let result;
    try {
      result = await generate(this.model, this.tokenizer, request.prompt, { maxTokens: options.maxNewTokens, temperature: 0, stop, signal });
    } catch (error) {
      // The engine aborts with the job's reason; the runner knows a stop by its AbortError.
      if (signal?.aborted) throw abortError();
      if (error instanceof LabError) throw new LabError(error.what, `problem ${request.id}`, error.hint);
      throw error;
    }
    let text = result.text;
    if (result.stopReason === 'stop-string') text += this.stopReached(result.tokens, text.length, stop);
    return { id: request.id, text, promptTokens: result.promptTokens, outputTokens: result.tokens.length, timeMs: result.prefillMs + result.decodeMs };
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

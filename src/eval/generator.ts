/**
 * What the evaluation harness needs from a text generator: batched prompts in, completions out with token
 * counts, cancellable. `ModelGenerator` (modelGenerator.ts) decodes greedily through the engine's model; tests of
 * the harness alone use `ScriptedReplayGenerator`, which replays recorded outputs and says so in its `kind` — its
 * results are never a model's.
 */
export interface GenerationRequest {
  /** The problem id, carried through so completions can be matched to problems. */
  id: string;
  prompt: string;
}

export interface Completion {
  id: string;
  text: string;
  promptTokens: number;
  outputTokens: number;
  /** Wall time attributed to this completion (a batch's time split evenly across its requests). */
  timeMs: number;
}

export interface GenerateOptions {
  maxNewTokens: number;
  /**
   * Texts that end a completion (the next few-shot "Problem:", say): a generator may stop decoding at the first
   * one. The completion then ends with that stop text, so the runner's `truncateAtStop` cuts every generator's
   * output the same way.
   */
  stop?: readonly string[];
  signal?: AbortSignal;
}

export interface Generator {
  readonly kind: 'model' | 'scripted-replay';
  /** Shown with results: the model file and adapter, or the recording's name. */
  readonly name: string;
  /** Completions in the order of `batch`. Rejects with an AbortError when `signal` aborts. */
  generate(batch: readonly GenerationRequest[], options: GenerateOptions): Promise<Completion[]>;
}

export function abortError(): DOMException {
  return new DOMException('evaluation stopped', 'AbortError');
}

export interface RecordedOutput {
  text: string;
  /** Token counts as recorded; when absent, whitespace-separated pieces are counted (an approximation). */
  promptTokens?: number;
  outputTokens?: number;
}

const countPieces = (text: string): number => text.split(/\s+/).filter(Boolean).length;

/**
 * Replays outputs recorded for problem ids. For tests of the harness (batching, progress, stop/resume, grading,
 * storage) only; `kind` is `scripted-replay` so no report can mistake it for a model. Output is cut to
 * `maxNewTokens` whitespace pieces, as a model would stop at its token budget.
 */
export class ScriptedReplayGenerator implements Generator {
  readonly kind = 'scripted-replay' as const;
  /** Prompts seen, in order: lets a test check what the harness sent. */
  readonly seenPrompts: string[] = [];

  constructor(
    readonly name: string,
    private readonly outputs: ReadonlyMap<string, RecordedOutput>,
  ) {}

  async generate(batch: readonly GenerationRequest[], options: GenerateOptions): Promise<Completion[]> {
    if (options.signal?.aborted) throw abortError();
    const started = performance.now();
    const completions = batch.map((request) => {
      const recorded = this.outputs.get(request.id);
      if (!recorded) throw new Error(`no recorded output for problem "${request.id}" in "${this.name}"`);
      this.seenPrompts.push(request.prompt);
      const pieces = recorded.text.split(/(\s+)/);
      const kept = pieces.slice(0, Math.max(0, options.maxNewTokens * 2 - 1)).join('');
      const outputTokens = Math.min(recorded.outputTokens ?? countPieces(recorded.text), options.maxNewTokens);
      return { id: request.id, text: kept, promptTokens: recorded.promptTokens ?? countPieces(request.prompt), outputTokens, timeMs: 0 };
    });
    await Promise.resolve();
    if (options.signal?.aborted) throw abortError();
    const each = (performance.now() - started) / Math.max(1, batch.length);
    return completions.map((c) => ({ ...c, timeMs: each }));
  }
}

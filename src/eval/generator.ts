/**
 * What the evaluation harness needs from a text generator: batched prompts in, completions out with token
 * counts, each reported the moment it is finished (so a stop loses only unfinished work), cancellable. `ModelGenerator` (modelGenerator.ts) decodes greedily through the engine's model; tests of
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
  /**
   * Wall time attributed to this completion: since the batch's previous completion finished (the first: since the
   * batch started), so a batch's times add up to its wall time.
   */
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
  /**
   * Called with each completion as soon as it is finished, in the order they finish, before `generate` settles.
   * When `generate` rejects (a stop), every completion reported before is final and the rest were never reported.
   */
  onCompletion?: (completion: Completion) => void;
}

export interface Generator {
  readonly kind: 'model' | 'scripted-replay';
  /** Shown with results: the model file and adapter, or the recording's name. */
  readonly name: string;
  /** Completions in the order of `batch` (each also passed to `onCompletion` when it finishes). Rejects with an AbortError when `signal` aborts. */
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
    const completions: Completion[] = [];
    let last = performance.now();
    for (const request of batch) {
      const recorded = this.outputs.get(request.id);
      if (!recorded) throw new Error(`no recorded output for problem "${request.id}" in "${this.name}"`);
      this.seenPrompts.push(request.prompt);
      const pieces = recorded.text.split(/(\s+)/);
      const kept = pieces.slice(0, Math.max(0, options.maxNewTokens * 2 - 1)).join('');
      const outputTokens = Math.min(recorded.outputTokens ?? countPieces(recorded.text), options.maxNewTokens);
      await Promise.resolve();
      // A stop between completions keeps those already reported, as a model's would.
      if (options.signal?.aborted) throw abortError();
      const now = performance.now();
      const completion = {
        id: request.id,
        text: kept,
        promptTokens: recorded.promptTokens ?? countPieces(request.prompt),
        outputTokens,
        timeMs: now - last,
      };
      last = now;
      completions.push(completion);
      options.onCompletion?.(completion);
    }
    return completions;
  }
}

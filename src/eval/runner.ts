import type { EvalProblem } from './benchmarks';
import { gradeAnswer } from './grade';
import type { Completion, Generator } from './generator';
import { buildPrompt, stopSequences, truncateAtStop, type PromptStyle } from './prompts';
import { recordBase, type ProblemRecord, type RunInfo } from './records';
import type { ResultsStore } from './resultsStore';
import { LabError } from '../errors';

/**
 * Runs an evaluation: prompts in batches through a `Generator`, grades each completion the moment the generator
 * reports it, appends its record to the store and reports it with the progress. Stopping (AbortSignal) keeps
 * every finished record, also those of the batch in progress; calling again with the same run id resumes with the
 * problems not yet recorded.
 */
/** Problems per batch unless told: what one decode step of the model takes at full speed (DEFAULT_DECODE_BATCH). */
export const DEFAULT_EVAL_BATCH = 8;

export interface EvalProgress {
  done: number;
  total: number;
  correct: number;
  /** The problem just graded; absent on the first event (which counts the records a resumed run already has). */
  record?: ProblemRecord;
}

export interface RunEvaluationOptions {
  run: RunInfo;
  problems: readonly EvalProblem[];
  generator: Generator;
  store: ResultsStore;
  /** Problems handed to the generator at once (a model decodes them together). Default 8. */
  batchSize?: number;
  signal?: AbortSignal;
  /** Once before any work, then once per graded problem (with its record). */
  onProgress?: (progress: EvalProgress) => void;
  onRecord?: (record: ProblemRecord) => void;
}

export interface EvaluationResult {
  status: 'complete' | 'stopped';
  /** In the run's problem order. */
  records: ProblemRecord[];
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

export async function runEvaluation(options: RunEvaluationOptions): Promise<EvaluationResult> {
  const { run, problems, generator, store, signal } = options;
  const batchSize = options.batchSize ?? DEFAULT_EVAL_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new LabError(`batch size ${batchSize} is not a positive whole number`);
  const byId = new Map(problems.map((p) => [p.id, p]));
  const missing = run.problemIds.filter((id) => !byId.has(id));
  if (missing.length > 0)
    throw new LabError(
      `${missing.length} problems of run "${run.id}" are not loaded (first: ${missing[0]})`,
      run.id,
      'load the same benchmark the run was started on',
    );
  const stored = await store.loadRun(run.id);
  if (stored && (stored.info.promptStyle !== run.promptStyle || stored.info.generator.name !== run.generator.name)) {
    throw new LabError(
      'a run with this id exists with a different prompt or generator',
      run.id,
      'resume with the same settings, or start a new run',
    );
  }
  if (stored && (stored.info.maxNewTokens !== run.maxNewTokens || stored.info.problemIds.join('\n') !== run.problemIds.join('\n'))) {
    throw new LabError(
      'a run with this id exists with a different token budget or problem sample',
      run.id,
      'resume with the same settings, or start a new run',
    );
  }
  if (generator.kind !== run.generator.kind || generator.name !== run.generator.name) {
    throw new LabError(
      `the run expects generator "${run.generator.name}" (${run.generator.kind}), got "${generator.name}" (${generator.kind})`,
      run.id,
    );
  }
  if (!stored) await store.saveRun(run);
  const records = stored ? [...stored.records] : [];
  const done = new Set(records.map((r) => r.problemId));
  const todo = run.problemIds.filter((id) => !done.has(id)).map((id) => byId.get(id)!);
  const progress = (record?: ProblemRecord): EvalProgress => ({
    done: records.length,
    total: run.problemIds.length,
    correct: records.filter((r) => r.correct).length,
    ...(record ? { record } : {}),
  });
  const writes = new RecordWrites(store, run.id);
  // Records in the run's problem order, whatever order the generator finished them in (batch size changes only speed).
  const ordered = (): ProblemRecord[] => {
    const byProblem = new Map(records.map((r) => [r.problemId, r]));
    return run.problemIds.flatMap((id) => byProblem.get(id) ?? []);
  };
  options.onProgress?.(progress());
  for (let start = 0; start < todo.length; start += batchSize) {
    if (signal?.aborted) return { status: 'stopped', records: ordered() };
    const batch = todo.slice(start, start + batchSize);
    const prompts = new Map(batch.map((p) => [p.id, buildPrompt(p.problem, run.promptStyle)]));
    const graded = new Set<string>();
    const onCompletion = (completion: Completion): void => {
      if (graded.has(completion.id)) return;
      const problem = batch.find((p) => p.id === completion.id);
      if (!problem) throw new LabError(`generator returned "${completion.id}", which is not a problem of its batch`, generator.name);
      graded.add(problem.id);
      const record = gradeCompletion(problem, prompts.get(problem.id)!, completion, run.promptStyle);
      records.push(record);
      writes.append(record);
      options.onRecord?.(record);
      options.onProgress?.(progress(record));
    };
    let completions: Completion[];
    try {
      completions = await generator.generate(
        batch.map((p) => ({ id: p.id, prompt: prompts.get(p.id)! })),
        { maxNewTokens: run.maxNewTokens, stop: stopSequences(run.promptStyle), signal, onCompletion },
      );
    } catch (error) {
      await writes.settled();
      if (isAbort(error)) return { status: 'stopped', records: ordered() };
      throw error;
    }
    // A generator that does not report completions early hands them all over here.
    for (const completion of completions) onCompletion(completion);
    await writes.settled();
    if (graded.size !== batch.length) throw new LabError(`generator returned ${graded.size} of ${batch.length} problems`, generator.name);
  }
  return { status: 'complete', records: ordered() };
}

function gradeCompletion(problem: EvalProblem, prompt: string, completion: Completion, style: PromptStyle): ProblemRecord {
  const output = truncateAtStop(completion.text, style);
  const verdict = gradeAnswer(problem.gold, output, { mode: problem.mode });
  return {
    ...recordBase(problem),
    prompt,
    output,
    extracted: verdict.pred ? { ...verdict.pred } : null,
    correct: verdict.equal,
    rule: verdict.rule,
    reason: verdict.reason,
    promptTokens: completion.promptTokens,
    outputTokens: completion.outputTokens,
    timeMs: completion.timeMs,
  };
}

/**
 * Appends records one at a time, in the order graded, while the generator goes on decoding (completions are
 * reported synchronously, stores are asynchronous); `settled` waits for every append and throws the first failure.
 */
class RecordWrites {
  private chain: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly store: ResultsStore,
    private readonly runId: string,
  ) {}

  append(record: ProblemRecord): void {
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await this.store.appendRecords(this.runId, [record]);
      } catch (error) {
        this.failure = { error };
      }
    });
  }

  async settled(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure.error;
  }
}

import type { EvalProblem } from './benchmarks';
import { gradeAnswer } from './grade';
import type { Generator } from './generator';
import { buildPrompt, stopSequences, truncateAtStop } from './prompts';
import { recordBase, type ProblemRecord, type RunInfo } from './records';
import type { ResultsStore } from './resultsStore';
import { LabError } from '../errors';

/**
 * Runs an evaluation: prompts in batches through a `Generator`, grades each completion, appends the records to
 * the store as each batch finishes, and reports progress and each record as it arrives. Stopping (AbortSignal)
 * keeps every finished record; calling again with the same run id resumes with the problems not yet recorded.
 */
/** Problems per batch unless told: what one decode step of the model takes at full speed (DEFAULT_DECODE_BATCH). */
export const DEFAULT_EVAL_BATCH = 8;

export interface EvalProgress {
  done: number;
  total: number;
  correct: number;
}

export interface RunEvaluationOptions {
  run: RunInfo;
  problems: readonly EvalProblem[];
  generator: Generator;
  store: ResultsStore;
  /** Problems handed to the generator at once (a model decodes them together) and stored when they finish. Default 8. */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: EvalProgress) => void;
  onRecord?: (record: ProblemRecord) => void;
}

export interface EvaluationResult {
  status: 'complete' | 'stopped';
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
  if (missing.length > 0) throw new LabError(`${missing.length} problems of run "${run.id}" are not loaded (first: ${missing[0]})`, run.id, 'load the same benchmark the run was started on');
  const stored = await store.loadRun(run.id);
  if (stored && (stored.info.promptStyle !== run.promptStyle || stored.info.generator.name !== run.generator.name)) {
    throw new LabError('a run with this id exists with a different prompt or generator', run.id, 'resume with the same settings, or start a new run');
  }
  if (stored && (stored.info.maxNewTokens !== run.maxNewTokens || stored.info.problemIds.join('\n') !== run.problemIds.join('\n'))) {
    throw new LabError('a run with this id exists with a different token budget or problem sample', run.id, 'resume with the same settings, or start a new run');
  }
  if (generator.kind !== run.generator.kind || generator.name !== run.generator.name) {
    throw new LabError(`the run expects generator "${run.generator.name}" (${run.generator.kind}), got "${generator.name}" (${generator.kind})`, run.id);
  }
  if (!stored) await store.saveRun(run);
  const records = stored ? [...stored.records] : [];
  const done = new Set(records.map((r) => r.problemId));
  const todo = run.problemIds.filter((id) => !done.has(id)).map((id) => byId.get(id)!);
  const progress = (): EvalProgress => ({ done: records.length, total: run.problemIds.length, correct: records.filter((r) => r.correct).length });
  options.onProgress?.(progress());
  for (let start = 0; start < todo.length; start += batchSize) {
    if (signal?.aborted) return { status: 'stopped', records };
    const batch = todo.slice(start, start + batchSize);
    const requests = batch.map((p) => ({ id: p.id, prompt: buildPrompt(p.problem, run.promptStyle) }));
    let completions;
    try {
      completions = await generator.generate(requests, { maxNewTokens: run.maxNewTokens, stop: stopSequences(run.promptStyle), signal });
    } catch (error) {
      if (isAbort(error)) return { status: 'stopped', records };
      throw error;
    }
    const finished = batch.map((problem, i) => {
      const completion = completions[i];
      if (completion.id !== problem.id) throw new LabError(`generator returned "${completion.id}" for "${problem.id}"`, generator.name);
      const output = truncateAtStop(completion.text, run.promptStyle);
      const verdict = gradeAnswer(problem.gold, output, { mode: problem.mode });
      const record: ProblemRecord = {
        ...recordBase(problem),
        prompt: requests[i].prompt,
        output,
        extracted: verdict.pred ? { ...verdict.pred } : null,
        correct: verdict.equal,
        rule: verdict.rule,
        reason: verdict.reason,
        promptTokens: completion.promptTokens,
        outputTokens: completion.outputTokens,
        timeMs: completion.timeMs,
      };
      return record;
    });
    await store.appendRecords(run.id, finished);
    for (const record of finished) {
      records.push(record);
      options.onRecord?.(record);
    }
    options.onProgress?.(progress());
  }
  return { status: 'complete', records };
}

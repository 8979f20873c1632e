import { LabError } from '../errors';
import { parseBenchmark, problemsFromExamples, sampleProblems, type BenchmarkFormat, type EvalProblem } from './benchmarks';
import type { Example } from '../data/example';
import type { Generator } from './generator';
import { PROMPT_STYLES, type PromptStyle } from './prompts';
import { summarise, type AccuracySummary, type ProblemRecord, type RunInfo } from './records';
import type { ResultsStore } from './resultsStore';
import { runEvaluation } from './runner';

/**
 * One evaluation as the lab asks for it, the same for the page (through the worker) and the `lora-lab eval`
 * command: where the problems come from, how they are sampled, how they are prompted and how long answers may
 * be. `evaluate` loads and samples the benchmark, runs it through a generator into a results store, and
 * returns the run's summary.
 */
export type FileBenchmarkFormat = Exclude<BenchmarkFormat, 'shard'>;

export type BenchmarkSource =
  /** A JSONL file the user dropped: MATH, MATH-500 or GSM8K test (the layout is detected unless `format` says). */
  | { kind: 'file'; file: Blob; format?: FileBenchmarkFormat }
  /** The sample problem set the lab ships (`public/samples/problems.jsonl`, MATH-500 layout). */
  | { kind: 'samples' }
  /** A dataset shard loaded in the lab (by file name): its rows that state an answer. */
  | { kind: 'shard'; name: string };

export interface EvaluationRequest {
  benchmark: BenchmarkSource;
  /** Resumes the stored run with this id (same settings), or names a new run; letters, digits, `_`, `-`, `.`. */
  runId?: string;
  /** Shown in run lists; defaults to the run id. */
  name?: string;
  /** How many problems to draw (all that match when omitted), from these subjects and levels, with this seed. */
  count?: number;
  subjects?: string[];
  levels?: number[];
  /** Default 0. */
  seed?: number;
  /** Default `sft-zero-shot`. */
  promptStyle?: PromptStyle;
  /** Tokens each answer may take. Default 512. */
  maxNewTokens?: number;
  /**
   * Problems decoded together (one batch of the model's decoder; a batch that does not fit the GPU is refused with
   * the memory plan); each is saved the moment it finishes. Default 8. Changes the speed of a run, never its records.
   */
  batchSize?: number;
}

export interface EvaluationProgress {
  /** Problems graded and in the run; `unit` is always "problems" (the shape of the engine's other progress). */
  done: number;
  total: number;
  unit: 'problems';
  correct: number;
  /** The problem just graded; absent on the first event (which reports records already stored by a resumed run). */
  record?: ProblemRecord;
}

export interface EvaluationOutcome {
  run: RunInfo;
  /** `stopped` when cancelled: the finished records are stored, and the same `runId` resumes. */
  status: 'complete' | 'stopped';
  summary: AccuracySummary;
}

/** Where the lab keeps runs and finds its own sample problems: OPFS and `fetch` in the page, memory and disk in Node. */
export interface EvaluationEnvironment {
  resultsStore(): Promise<ResultsStore>;
  sampleProblems(): Promise<string>;
}

export const DEFAULT_MAX_NEW_TOKENS = 512;
/** A file and directory name everywhere runs are kept (OPFS, disk): no separators, not "." or "..". */
const RUN_ID = /^(?!\.+$)[\w.-]+$/;

function positiveWhole(value: number | undefined, what: string): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1))
    throw new LabError(`${what} ${value} is not a whole number ≥ 1`, 'evaluation');
}

/** The request's settings problems, found before any problem is loaded or any token generated. */
export function checkEvaluationRequest(request: EvaluationRequest): void {
  positiveWhole(request.count, 'problem count');
  positiveWhole(request.maxNewTokens, 'max new tokens');
  positiveWhole(request.batchSize, 'batch size');
  if (request.seed !== undefined && !Number.isInteger(request.seed))
    throw new LabError(`seed ${request.seed} is not a whole number`, 'evaluation');
  if (request.promptStyle !== undefined && !PROMPT_STYLES.includes(request.promptStyle)) {
    throw new LabError(`prompt style "${request.promptStyle}" is unknown`, 'evaluation', `use one of ${PROMPT_STYLES.join(', ')}`);
  }
  for (const level of request.levels ?? []) {
    if (!Number.isInteger(level) || level < 1 || level > 5) throw new LabError(`level ${level} is not 1..5`, 'evaluation');
  }
  if (request.runId !== undefined && !RUN_ID.test(request.runId)) {
    throw new LabError(`run id "${request.runId}" may only hold letters, digits, "_", "-" and "."`, 'evaluation');
  }
}

/** What a benchmark source is read from: the sample problems, and a loaded shard's kept examples (undefined when it has none). */
export interface BenchmarkSources {
  sampleProblems(): Promise<string>;
  shardExamples?(name: string): readonly Example[] | undefined;
}

export async function loadBenchmark(source: BenchmarkSource, sources: BenchmarkSources): Promise<EvalProblem[]> {
  if (source.kind === 'samples') return parseBenchmark(await sources.sampleProblems(), 'samples/problems.jsonl', 'math500');
  if (source.kind === 'shard') {
    const examples = sources.shardExamples?.(source.name);
    if (!examples)
      throw new LabError(
        'no loaded shard has this name, or none of its rows was kept',
        source.name,
        'Add it with the training data first.',
      );
    const problems = problemsFromExamples(examples);
    if (problems.length === 0) throw new LabError('no row of this shard states an answer to grade against', source.name);
    return problems;
  }
  const name = (source.file as File).name || 'benchmark.jsonl';
  return parseBenchmark(await source.file.text(), name, source.format);
}

/** A run id that sorts by time and says what ran: `math500-sft-zero-shot-2025-01-01T10-00-00-000Z`. */
function newRunId(benchmark: BenchmarkFormat, style: PromptStyle, createdAt: string): string {
  return `${benchmark}-${style}-${createdAt.replace(/[:.]/g, '-')}`;
}

export interface EvaluateOptions {
  request: EvaluationRequest;
  generator: Generator;
  store: ResultsStore;
  environment: BenchmarkSources;
  signal?: AbortSignal;
  onProgress?: (progress: EvaluationProgress) => void;
  /** The run's creation time (for its id and listing order); the clock by default. */
  now?: () => Date;
}

export async function evaluate(options: EvaluateOptions): Promise<EvaluationOutcome> {
  const { request, generator, store } = options;
  checkEvaluationRequest(request);
  const all = await loadBenchmark(request.benchmark, options.environment);
  const problems = sampleProblems(all, {
    count: request.count,
    subjects: request.subjects,
    levels: request.levels,
    seed: request.seed ?? 0,
  });
  if (problems.length === 0)
    throw new LabError(
      'no problem matches the subjects and levels asked for',
      'evaluation',
      `the benchmark has subjects ${[...new Set(all.map((p) => p.subject))].join(', ')}`,
    );
  const promptStyle = request.promptStyle ?? 'sft-zero-shot';
  const stored = request.runId === undefined ? null : await store.loadRun(request.runId);
  const createdAt = stored?.info.createdAt ?? (options.now ?? (() => new Date()))().toISOString();
  const id = request.runId ?? newRunId(problems[0].benchmark, promptStyle, createdAt);
  const run: RunInfo = {
    id,
    name: request.name ?? stored?.info.name ?? id,
    benchmark: problems[0].benchmark,
    promptStyle,
    generator: { kind: generator.kind, name: generator.name },
    maxNewTokens: request.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
    problemIds: problems.map((p) => p.id),
    createdAt,
  };
  const result = await runEvaluation({
    run,
    problems,
    generator,
    store,
    batchSize: request.batchSize,
    signal: options.signal,
    onProgress: (p) => options.onProgress?.({ ...p, unit: 'problems' }),
  });
  return { run, status: result.status, summary: summarise(result.records) };
}

import { LabError } from '../errors';
import type { ExampleSource } from '../data/example';
import { nestedSubsets } from '../data/sampling';
import type { EvaluationOutcome, EvaluationProgress, EvaluationRequest } from '../eval/evaluation';
import type { ProblemRecord } from '../eval/records';
import type { BenchmarkFormat } from '../eval/benchmarks';
import { bootstrapAccuracy, type Interval } from '../eval/significance';
import type { StepMetrics } from '../train/trainer';
import type { AdapterSummary } from './adapterLibrary';
import type { TrainRequest } from './training';

export interface ScalingRequest {
  /** Adapters are named `<name>-n<size>`. */
  name: string;
  /** Training-set sizes in examples, ascending; each must be at most the number of loaded examples. */
  sizes: number[];
  /** Seeds the one shuffle whose prefixes are the training sets. Default: `train.seed`. */
  shuffleSeed?: number;
  /**
   * Settings of every adapter's training. The held-out fraction defaults to 0 here, so an adapter trains on
   * exactly its `size` examples.
   */
  train: Omit<TrainRequest, 'name'>;
  /** Settings of every evaluation (same benchmark, count and seed: the same problems for every size). */
  evaluation: Omit<EvaluationRequest, 'runId' | 'name'>;
}

export interface ScalingPoint {
  size: number;
  adapterId: string;
  runId: string;
  correct: number;
  total: number;
  /** Accuracy with its bootstrap interval (seed 0, 95%). */
  accuracy: Interval;
}

export interface ScalingProgress {
  phase: 'train' | 'evaluate' | 'done';
  /** The size being worked on, and its position in `sizes`. */
  size: number;
  index: number;
  sizes: number[];
  /** 'train': one optimizer step of this size's adapter. */
  metrics?: StepMetrics;
  /** 'evaluate': one graded problem (or the opening event) of this size's evaluation. */
  evaluation?: EvaluationProgress;
  adapterId?: string;
  runId?: string;
  /** 'done': this size's result. */
  point?: ScalingPoint;
}

export interface ScalingResult {
  name: string;
  status: 'complete' | 'stopped';
  /** One per finished size, in the order of `sizes`. */
  points: ScalingPoint[];
  /** The problems every evaluation ran on (empty when none finished), and their benchmark (null when none finished). */
  problemIds: string[];
  benchmark: BenchmarkFormat | null;
}

/** What the experiment asks of the engine: train on given examples, evaluate the adapter in use, read a run. */
export interface ScalingSteps {
  examples: ExampleSource;
  train(examples: ExampleSource, request: TrainRequest, onMetrics: (m: StepMetrics) => void): Promise<AdapterSummary>;
  useAdapter(id: string): Promise<void>;
  evaluate(request: EvaluationRequest, onProgress: (p: EvaluationProgress) => void): Promise<EvaluationOutcome>;
  records(runId: string): Promise<readonly ProblemRecord[]>;
  signal: AbortSignal;
  /** Makes the run ids unique (a clock in the engine). */
  now(): Date;
}

/**
 * Nested training sets: prefixes of one seeded shuffle, refusing sizes the examples cannot fill. Each is a view that
 * reads its examples from `examples` when asked, so a subset of millions of rows on disk is not copied.
 */
export function scalingSubsets(examples: ExampleSource, sizes: readonly number[], seed: number): ExampleSource[] {
  if (sizes.length === 0) throw new LabError('no sizes to train on', 'scaling experiment', 'Give sizes such as 1000, 2000, 4000.');
  const largest = Math.max(...sizes);
  if (largest > examples.length) {
    throw new LabError(
      `size ${largest} is larger than the ${examples.length} loaded examples`,
      'scaling experiment',
      'Add shards or choose smaller sizes.',
    );
  }
  try {
    const positions = Array.from({ length: examples.length }, (_, i) => i);
    return nestedSubsets(positions, sizes, seed).map((subset) => ({
      length: subset.length,
      at: (i: number) => (i >= 0 && i < subset.length ? examples.at(subset[i]) : undefined),
    }));
  } catch (error) {
    throw new LabError((error as Error).message, 'scaling experiment', 'Give whole sizes ≥ 1 in ascending order.');
  }
}

/**
 * One action for a data-scaling curve: an adapter per size, trained on nested prefixes of one shuffle, each
 * evaluated on the same problems. Adapters and runs go to the library and the results store as they finish, so a
 * cancelled experiment keeps its finished sizes.
 */
export async function scalingExperiment(
  request: ScalingRequest,
  steps: ScalingSteps,
  onProgress?: (p: ScalingProgress) => void,
): Promise<ScalingResult> {
  const { sizes } = request;
  const subsets = scalingSubsets(steps.examples, sizes, request.shuffleSeed ?? request.train.seed);
  const result: ScalingResult = { name: request.name, status: 'complete', points: [], problemIds: [], benchmark: null };
  for (const [index, subset] of subsets.entries()) {
    const size = sizes[index];
    const where = { size, index, sizes };
    const adapter = await steps.train(subset, { validationFraction: 0, ...request.train, name: `${request.name}-n${size}` }, (metrics) =>
      onProgress?.({ phase: 'train', ...where, metrics }),
    );
    if (adapter.status !== 'done' || steps.signal.aborted) return { ...result, status: 'stopped' };
    await steps.useAdapter(adapter.id);
    const runId = `${adapter.id}-eval-${steps.now().toISOString().replace(/[:.]/g, '-')}`;
    const outcome = await steps.evaluate({ ...request.evaluation, runId, name: `${request.name} n=${size}` }, (evaluation) =>
      onProgress?.({ phase: 'evaluate', ...where, adapterId: adapter.id, runId, evaluation }),
    );
    if (outcome.status !== 'complete') return { ...result, status: 'stopped' };
    if (result.problemIds.length === 0) {
      result.problemIds = outcome.run.problemIds;
      result.benchmark = outcome.run.benchmark;
    } else if (outcome.run.problemIds.join('\n') !== result.problemIds.join('\n')) {
      throw new LabError(
        `the evaluation of size ${size} drew other problems than the first size's`,
        'scaling experiment',
        'Use a benchmark file that does not change during the experiment.',
      );
    }
    const correct = (await steps.records(runId)).map((r) => r.correct);
    const point: ScalingPoint = {
      size,
      adapterId: adapter.id,
      runId,
      correct: correct.filter(Boolean).length,
      total: correct.length,
      accuracy: bootstrapAccuracy(correct, { seed: 0 }),
    };
    result.points.push(point);
    onProgress?.({ phase: 'done', ...where, adapterId: adapter.id, runId, point });
  }
  return result;
}

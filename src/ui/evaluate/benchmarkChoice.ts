import type { EvaluationRequest } from '../../worker/api';

/** The Benchmark picker's choice: a dropped file (none: the sample problems), how many problems, the draw's seed. */
export interface BenchmarkChoice {
  file: File | undefined;
  count: number;
  seed: number;
}

/** The evaluation request's fields for a choice. */
export function benchmarkRequest(choice: BenchmarkChoice): Pick<EvaluationRequest, 'benchmark' | 'count' | 'seed'> {
  return { benchmark: choice.file ? { kind: 'file', file: choice.file } : { kind: 'samples' }, count: choice.count, seed: choice.seed };
}

/** How run names and descriptions call the chosen benchmark. */
export function benchmarkLabel(choice: BenchmarkChoice): string {
  return choice.file ? choice.file.name : 'sample problems';
}

import { detectFormat, type EvaluationRequest } from '../../worker/api';

/** MATH's subjects, as its `type` field and MATH-500's `subject` field spell them. */
export const MATH_SUBJECTS = [
  'Algebra',
  'Counting & Probability',
  'Geometry',
  'Intermediate Algebra',
  'Number Theory',
  'Prealgebra',
  'Precalculus',
] as const;
export const MATH_LEVELS = [1, 2, 3, 4, 5] as const;

/**
 * The Benchmark picker's choice: a dropped file (none: the sample problems), how many problems, the draw's seed,
 * and the subjects and levels to draw from (none ticked: all of them).
 */
export interface BenchmarkChoice {
  file: File | undefined;
  count: number;
  seed: number;
  subjects: readonly string[];
  levels: readonly number[];
}

/** The evaluation request's fields for a choice; an empty subject or level list means no filter, not "nothing". */
export function benchmarkRequest(choice: BenchmarkChoice): Pick<EvaluationRequest, 'benchmark' | 'count' | 'seed' | 'subjects' | 'levels'> {
  return {
    benchmark: choice.file ? { kind: 'file', file: choice.file } : { kind: 'samples' },
    count: choice.count,
    seed: choice.seed,
    subjects: choice.subjects.length > 0 ? [...choice.subjects] : undefined,
    levels: choice.levels.length > 0 ? [...choice.levels].sort((a, b) => a - b) : undefined,
  };
}

/** How run names and descriptions call the chosen benchmark: "sample problems · levels 2, 3 · Geometry". */
export function benchmarkLabel(choice: BenchmarkChoice): string {
  const parts = [choice.file ? choice.file.name : 'sample problems'];
  const levels = [...choice.levels].sort((a, b) => a - b);
  if (levels.length > 0) parts.push(`${levels.length === 1 ? 'level' : 'levels'} ${levels.join(', ')}`);
  if (choice.subjects.length > 0) parts.push(choice.subjects.join(', '));
  return parts.join(' · ');
}

/**
 * Whether a benchmark file's problems carry MATH subjects and levels, from its first line: GSM8K's do not (and a
 * first line that does not parse is left to the evaluation to report, so the filters stay offered).
 */
export function hasSubjectsAndLevels(firstLine: string): boolean {
  try {
    const row: unknown = JSON.parse(firstLine);
    return !(row !== null && typeof row === 'object' && !Array.isArray(row) && detectFormat(row as Record<string, unknown>) === 'gsm8k');
  } catch {
    return true;
  }
}

import { LabError } from '../errors';
import { seededRandom } from '../util/random';
import type { Example } from '../data/example';
import { extractAnswer, type ExtractionMode } from './extract';

/**
 * Evaluation problems from MATH (full test format), MATH-500, GSM8K test, or any loaded dataset shard whose rows
 * state an answer; and seeded sampling by count, subject and level. Text in, problems out: no file system here,
 * so the browser and the CLI share it.
 */
export type BenchmarkFormat = 'math' | 'math500' | 'gsm8k' | 'shard';

export interface EvalProblem {
  /** Stable id: the dataset's own (`test/precalculus/807.json`) or `<benchmark>/<line>`. */
  id: string;
  problem: string;
  /** The gold answer text given to the grader (a bare answer, or a GSM8K solution ending `#### N`). */
  gold: string;
  /** How answers are read for this problem: `math` or `gsm8k`. */
  mode: ExtractionMode;
  subject: string;
  /** 1..5, or null where the benchmark has no levels (GSM8K). */
  level: number | null;
  benchmark: BenchmarkFormat;
}

type Row = Record<string, unknown>;

function str(row: Row, field: string, where: string): string {
  const v = row[field];
  if (typeof v !== 'string' || v.trim() === '') {
    throw new LabError(`field "${field}" is ${v === undefined ? 'missing' : 'not a non-empty string'}`, where);
  }
  return v;
}

/** "Level 3" (MATH) or 3 (MATH-500) → 3; "Level ?" (a few MATH rows) → null. */
function parseLevel(value: unknown, where: string): number | null {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 5) return value;
  if (typeof value === 'string') {
    const m = /^Level ([1-5])$/.exec(value.trim());
    if (m) return Number(m[1]);
    if (value.trim() === 'Level ?') return null;
  }
  throw new LabError(`field "level" is ${JSON.stringify(value)}`, where, 'expected "Level 1".."Level 5" or 1..5');
}

function fromMath(row: Row, where: string, index: number): EvalProblem {
  const solution = str(row, 'solution', where);
  const boxed = extractAnswer(solution, 'math');
  if (!boxed || boxed.method !== 'boxed') throw new LabError('solution has no \\boxed{} answer', where);
  return {
    id: typeof row.unique_id === 'string' ? row.unique_id : `math/${index + 1}`,
    problem: str(row, 'problem', where),
    gold: boxed.text,
    mode: 'math',
    subject: str(row, 'type', where),
    level: parseLevel(row.level, where),
    benchmark: 'math',
  };
}

function fromMath500(row: Row, where: string): EvalProblem {
  return {
    id: str(row, 'unique_id', where),
    problem: str(row, 'problem', where),
    gold: str(row, 'answer', where),
    mode: 'math',
    subject: str(row, 'subject', where),
    level: parseLevel(row.level, where),
    benchmark: 'math500',
  };
}

function fromGsm8k(row: Row, where: string, index: number): EvalProblem {
  const answer = str(row, 'answer', where);
  if (!answer.includes('####')) throw new LabError('answer has no "#### N" line', where);
  return {
    id: `gsm8k/${index + 1}`,
    problem: str(row, 'question', where),
    gold: answer,
    mode: 'gsm8k',
    subject: 'gsm8k',
    level: null,
    benchmark: 'gsm8k',
  };
}

/** Which format a row has, from its fields. */
export function detectFormat(row: Row): Exclude<BenchmarkFormat, 'shard'> | null {
  if ('question' in row && 'answer' in row) return 'gsm8k';
  if ('problem' in row && 'answer' in row && 'unique_id' in row) return 'math500';
  if ('problem' in row && 'solution' in row && 'type' in row) return 'math';
  return null;
}

/**
 * Parses a JSONL benchmark file (MATH, MATH-500 or GSM8K; detected from the first row unless given).
 * Errors name the file and line.
 */
export function parseBenchmark(text: string, fileName: string, format?: Exclude<BenchmarkFormat, 'shard'>): EvalProblem[] {
  const problems: EvalProblem[] = [];
  let detected = format ?? null;
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${fileName}:${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new LabError('not valid JSON', where, 'a benchmark file is JSON Lines, one problem per line');
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new LabError('not a JSON object', where);
    detected ??= detectFormat(row as Row);
    if (!detected) {
      throw new LabError(
        'unknown benchmark layout',
        where,
        'expected MATH (problem/solution/type/level), MATH-500 (…/answer/unique_id) or GSM8K (question/answer)',
      );
    }
    const index = problems.length;
    if (detected === 'math') problems.push(fromMath(row as Row, where, index));
    else if (detected === 'math500') problems.push(fromMath500(row as Row, where));
    else problems.push(fromGsm8k(row as Row, where, index));
  });
  if (problems.length === 0) throw new LabError('no problems', fileName);
  return problems;
}

/** Problems from a loaded dataset shard: only rows that state an answer (the rest cannot be graded). */
export function problemsFromExamples(examples: readonly Example[]): EvalProblem[] {
  return examples
    .filter((e) => e.kind === 'sft' && e.answer !== undefined && e.answer.trim() !== '')
    .map((e) => ({
      id: e.id ?? `${e.shard}/${e.row}`,
      problem: e.prompt,
      gold: e.answer!,
      mode: /####/.test(e.response) ? ('gsm8k' as const) : ('math' as const),
      subject: e.source ?? e.shard,
      level: e.level ?? null,
      benchmark: 'shard' as const,
    }));
}

export interface SampleOptions {
  /** How many problems to keep (all that match when omitted). */
  count?: number;
  subjects?: string[];
  levels?: number[];
  seed: number;
}

/**
 * Filters by subject and level, then draws `count` problems without replacement (seeded Fisher–Yates), and
 * returns them in their original order so runs on the same sample line up.
 */
export function sampleProblems(problems: readonly EvalProblem[], options: SampleOptions): EvalProblem[] {
  const subjects = options.subjects ? new Set(options.subjects) : null;
  const levels = options.levels ? new Set(options.levels) : null;
  const pool = problems
    .map((p, index) => ({ p, index }))
    .filter(({ p }) => (!subjects || subjects.has(p.subject)) && (!levels || (p.level !== null && levels.has(p.level))));
  const count = options.count ?? pool.length;
  if (!Number.isInteger(count) || count < 0) throw new LabError(`sample count ${count} is not a whole number`);
  if (count > pool.length) {
    throw new LabError(
      `asked for ${count} problems but only ${pool.length} match`,
      undefined,
      'lower the count or widen the subjects/levels',
    );
  }
  const next = seededRandom(options.seed);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool
    .slice(0, count)
    .sort((a, b) => a.index - b.index)
    .map(({ p }) => p);
}

import { LabError } from '../errors';
import { levelKey, type ProblemRecord, type RunInfo, type Tally } from './records';
import type { StoredRun } from './resultsStore';
import { bootstrapAccuracy, mcnemarFromVerdicts, pairedBootstrapDifference, type Interval, type McNemarResult } from './significance';

/**
 * The "compare adapters" view, over any evaluation runs on the same problems (different models, prompts, or
 * adapters): a side-by-side accuracy table (overall, by subject, by level) with bootstrap intervals, each pair
 * of runs' paired significance (exact McNemar) and difference interval, and the problems where runs disagree,
 * with both outputs. Only problems every run has finished are compared.
 */
export interface TableRow {
  /** "overall", "subject: Algebra", "level: 3". */
  group: string;
  /** One cell per run, in the order the runs were given. */
  cells: (Tally & { interval: Interval })[];
}

export interface PairComparison {
  first: string;
  second: string;
  /** second accuracy − first accuracy, with its paired bootstrap interval. */
  difference: Interval;
  mcnemar: McNemarResult;
}

export interface Disagreement {
  problemId: string;
  subject: string;
  level: number | null;
  gold: string;
  /** Per run: correct, the extracted answer and the output. */
  answers: { runId: string; correct: boolean; extracted: string | null; output: string }[];
}

export interface RunComparison {
  runs: RunInfo[];
  problemIds: string[];
  table: TableRow[];
  pairs: PairComparison[];
  disagreements: Disagreement[];
  /** Problems left out because some run has not finished them. */
  skipped: number;
}

export interface CompareOptions {
  seed: number;
  resamples?: number;
  confidence?: number;
}

function cell(records: ProblemRecord[], options: CompareOptions): Tally & { interval: Interval } {
  const correct = records.filter((r) => r.correct).length;
  return {
    correct,
    total: records.length,
    accuracy: records.length === 0 ? 0 : correct / records.length,
    interval: bootstrapAccuracy(
      records.map((r) => r.correct),
      options,
    ),
  };
}

export function compareRuns(runs: readonly StoredRun[], options: CompareOptions): RunComparison {
  if (runs.length < 2) throw new LabError(`comparing needs at least two runs (got ${runs.length})`);
  const byRun = runs.map((run) => new Map(run.records.map((r) => [r.problemId, r])));
  const all = new Set(runs.flatMap((run) => run.info.problemIds));
  const shared = runs[0].info.problemIds.filter((id) => byRun.every((m) => m.has(id)));
  if (shared.length === 0)
    throw new LabError('the runs have no finished problem in common', undefined, 'compare runs made on the same benchmark sample');
  const aligned = byRun.map((m) => shared.map((id) => m.get(id)!));

  const groups: { group: string; ids: Set<string> }[] = [{ group: 'overall', ids: new Set(shared) }];
  const first = aligned[0];
  const subjects = [...new Set(first.map((r) => r.subject))].sort();
  for (const s of subjects)
    groups.push({ group: `subject: ${s}`, ids: new Set(first.filter((r) => r.subject === s).map((r) => r.problemId)) });
  const levels = [...new Set(first.map((r) => levelKey(r.level)))].sort();
  for (const l of levels)
    groups.push({ group: `level: ${l}`, ids: new Set(first.filter((r) => levelKey(r.level) === l).map((r) => r.problemId)) });
  const table = groups.map(({ group, ids }) => ({
    group,
    cells: aligned.map((records) =>
      cell(
        records.filter((r) => ids.has(r.problemId)),
        options,
      ),
    ),
  }));

  const pairs: PairComparison[] = [];
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const a = aligned[i].map((r) => r.correct);
      const b = aligned[j].map((r) => r.correct);
      pairs.push({
        first: runs[i].info.id,
        second: runs[j].info.id,
        difference: pairedBootstrapDifference(a, b, options),
        mcnemar: mcnemarFromVerdicts(a, b),
      });
    }
  }

  const disagreements: Disagreement[] = [];
  shared.forEach((id, k) => {
    const rows = aligned.map((records) => records[k]);
    if (rows.every((r) => r.correct === rows[0].correct)) return;
    disagreements.push({
      problemId: id,
      subject: rows[0].subject,
      level: rows[0].level,
      gold: rows[0].gold,
      answers: rows.map((r, i) => ({ runId: runs[i].info.id, correct: r.correct, extracted: r.extracted?.text ?? null, output: r.output })),
    });
  });

  return { runs: runs.map((r) => r.info), problemIds: shared, table, pairs, disagreements, skipped: all.size - shared.length };
}

import type { EvalProblem, BenchmarkFormat } from './benchmarks';
import type { PromptStyle } from './prompts';

/**
 * What an evaluation run stores: one record per problem (everything needed to audit a grade without rerunning
 * anything), and the run's description. Accuracy summaries and JSONL/CSV exports are computed from these.
 */
export interface ProblemRecord {
  problemId: string;
  subject: string;
  level: number | null;
  gold: string;
  prompt: string;
  output: string;
  /** The extracted answer and where it sat in `output`, or null when the output stated none. */
  extracted: { text: string; start: number; end: number; method: string } | null;
  correct: boolean;
  rule: string;
  reason: string;
  promptTokens: number;
  outputTokens: number;
  timeMs: number;
}

export interface RunInfo {
  id: string;
  name: string;
  benchmark: BenchmarkFormat;
  promptStyle: PromptStyle;
  /** `model` for real decoding; `scripted-replay` for recorded outputs replayed in tests (never a model result). */
  generator: { kind: 'model' | 'scripted-replay'; name: string };
  maxNewTokens: number;
  /** The problems of the run, in order; a resumed run continues with the ones that have no record yet. */
  problemIds: string[];
  createdAt: string;
}

export interface Tally {
  correct: number;
  total: number;
  accuracy: number;
}

export interface AccuracySummary {
  overall: Tally;
  bySubject: Record<string, Tally>;
  /** Keyed "1".."5", or "none" for problems without a level. */
  byLevel: Record<string, Tally>;
}

function tally(records: readonly ProblemRecord[]): Tally {
  const correct = records.filter((r) => r.correct).length;
  return { correct, total: records.length, accuracy: records.length === 0 ? 0 : correct / records.length };
}

function groupTally(records: readonly ProblemRecord[], key: (r: ProblemRecord) => string): Record<string, Tally> {
  const groups = new Map<string, ProblemRecord[]>();
  for (const r of records) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return Object.fromEntries([...groups.keys()].sort().map((k) => [k, tally(groups.get(k)!)]));
}

export const levelKey = (level: number | null): string => (level === null ? 'none' : String(level));

export function summarise(records: readonly ProblemRecord[]): AccuracySummary {
  return {
    overall: tally(records),
    bySubject: groupTally(records, (r) => r.subject),
    byLevel: groupTally(records, (r) => levelKey(r.level)),
  };
}

/** One JSON object per line: the run description first (`{"run": …}`), then one `{"record": …}` per problem. */
export function exportJsonl(info: RunInfo, records: readonly ProblemRecord[]): string {
  return [JSON.stringify({ run: info }), ...records.map((r) => JSON.stringify({ record: r }))].join('\n') + '\n';
}

const CSV_COLUMNS = [
  'problemId',
  'subject',
  'level',
  'correct',
  'rule',
  'reason',
  'gold',
  'extracted',
  'promptTokens',
  'outputTokens',
  'timeMs',
  'output',
] as const;

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV with a header row; the prompt is left out (it is in the JSONL export and in the run). */
export function exportCsv(records: readonly ProblemRecord[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of records) {
    const row: Record<(typeof CSV_COLUMNS)[number], unknown> = { ...r, extracted: r.extracted?.text ?? '' };
    lines.push(CSV_COLUMNS.map((c) => csvCell(row[c])).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** A record skeleton for a problem, filled in by the runner once the output is graded. */
export function recordBase(problem: EvalProblem): Pick<ProblemRecord, 'problemId' | 'subject' | 'level' | 'gold'> {
  return { problemId: problem.id, subject: problem.subject, level: problem.level, gold: problem.gold };
}

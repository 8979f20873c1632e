import { readFileSync } from 'node:fs';
import type { CliCommand } from '../command';
import { CliUsageError } from '../command';
import { parseArgs, flag } from '../args';
import { gradeAnswer } from '../../eval/grade';
import type { ExtractionMode } from '../../eval/extract';
import { LabError } from '../../errors';

const MODES: ExtractionMode[] = ['math', 'gsm8k'];

interface PairRow {
  gold: string;
  pred: string;
  equal?: boolean;
  mode?: ExtractionMode;
  [field: string]: unknown;
}

/** Parses one JSONL line into a pair row, or throws a LabError naming the file, line and field. */
function parseRow(line: string, where: string): PairRow {
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch (error) {
    throw new LabError(`not valid JSON (${(error as Error).message})`, where, 'each line must be one JSON object');
  }
  if (typeof row !== 'object' || row === null || Array.isArray(row)) {
    throw new LabError('not a JSON object', where, 'each line must be an object with "gold" and "pred"');
  }
  const r = row as Record<string, unknown>;
  for (const field of ['gold', 'pred']) {
    if (typeof r[field] !== 'string') {
      throw new LabError(
        `field "${field}" is ${r[field] === undefined ? 'missing' : 'not a string'}`,
        where,
        'each row needs string "gold" and "pred"',
      );
    }
  }
  if (r.equal !== undefined && typeof r.equal !== 'boolean') {
    throw new LabError('field "equal" is not true/false', where);
  }
  if (r.mode !== undefined && !MODES.includes(r.mode as ExtractionMode)) {
    throw new LabError(`field "mode" is ${JSON.stringify(r.mode)}`, where, `use one of ${MODES.join(', ')}`);
  }
  return r as PairRow;
}

export const command: CliCommand = {
  name: 'grade',
  summary: 'grade gold/pred answer pairs from a JSONL file',
  usage: `usage: lora-lab grade <pairs.jsonl> [--mode math|gsm8k]

Reads one JSON object per line with "gold" and "pred" (each a bare answer, a reference solution or a whole
model response) and writes each row back as JSONL with "verdict" (true/false) and "reason" (the deciding rule
and why). When rows carry an "equal" label, the last line is "agree N/M". A row's own "mode" overrides --mode.
  --mode   math (default: \\boxed, answer phrases, no guessing) or gsm8k (#### and last-number fallback)`,
  async run(args, io) {
    const parsed = parseArgs(args, { values: ['mode'] });
    if (parsed.positional.length !== 1) throw new CliUsageError('expected exactly one file of pairs');
    const mode = (flag(parsed, 'mode') ?? 'math') as ExtractionMode;
    if (!MODES.includes(mode)) throw new CliUsageError(`--mode: "${mode}" is not one of ${MODES.join(', ')}`);
    const file = parsed.positional[0];
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new LabError(
        `cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        file,
        'check the path',
      );
    }
    const lines = text.split('\n');
    const rows: { row: PairRow; lineNumber: number }[] = [];
    lines.forEach((line, i) => {
      if (line.trim() !== '') rows.push({ row: parseRow(line, `${file}:${i + 1}`), lineNumber: i + 1 });
    });
    if (rows.length === 0) throw new LabError('no rows', file, 'the file must hold JSONL rows with "gold" and "pred"');
    let labelled = 0;
    let agreed = 0;
    const out: string[] = [];
    for (const { row } of rows) {
      const verdict = gradeAnswer(row.gold, row.pred, { mode: row.mode ?? mode });
      out.push(JSON.stringify({ ...row, verdict: verdict.equal, reason: `${verdict.rule}: ${verdict.reason}` }));
      if (typeof row.equal === 'boolean') {
        labelled++;
        if (row.equal === verdict.equal) agreed++;
      }
    }
    if (labelled > 0) out.push(`agree ${agreed}/${labelled}`);
    io.out(out.join('\n') + '\n');
    return 0;
  },
};

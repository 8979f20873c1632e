import { existsSync, openAsBlob, statSync } from 'node:fs';
import type { CliCommand, CliIo } from '../command';
import { CliUsageError } from '../command';
import { flag, numberFlag, parseArgs } from '../args';
import { LabError } from '../../errors';
import { DEFAULT_NGRAM_WORDS, MIN_CONTAINED_WORDS } from '../../data/decontaminate';
import type { FieldMap } from '../../data/schemas';
import type { LoadOptions } from '../../data/shard';
import type { ShardReport } from '../../data/shardCollection';
import { cliEngine } from '../engine';

const LISTED_IN_TEXT = 20;
const FIELD_ROLES = ['prompt', 'response', 'messages', 'text', 'answer', 'source', 'level', 'stage'];

/** The file, named by its path (the name the reports give it). */
async function openFile(path: string): Promise<File> {
  if (!existsSync(path) || !statSync(path).isFile()) throw new LabError('file not found', path);
  return new File([await openAsBlob(path)], path);
}

function parseFieldMap(raw: string | undefined): FieldMap | undefined {
  if (raw === undefined) return undefined;
  const map: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    const [role, field] = pair.split('=').map((s) => s.trim());
    if (!FIELD_ROLES.includes(role) || !field)
      throw new CliUsageError(`--map: "${pair}" is not role=field (roles: ${FIELD_ROLES.join(', ')})`);
    map[role] = field;
  }
  return map as FieldMap;
}

function progressTo(io: CliIo, path: string, bytes: number): LoadOptions['onProgress'] {
  if (bytes < 64 * 1024 * 1024) return undefined;
  let shown = 0;
  return (read, total) => {
    const percent = Math.floor((100 * read) / total / 10) * 10;
    if (percent > shown) {
      shown = percent;
      io.err(`${path}: ${percent}% read\n`);
    }
  };
}

function jsonReport(report: ShardReport): object {
  return {
    file: report.name,
    format: report.format,
    schema: report.schema,
    unit: report.unit,
    rows: report.rowsKept,
    rowsValid: report.rowsLoaded,
    badCount: report.badCount,
    bad: report.bad.map((b) => ({ line: b.row, reason: b.reason })),
    duplicates: {
      exact: report.duplicates.exact,
      near: report.duplicates.near,
      acrossShards: report.duplicates.acrossShards,
      rows: report.duplicates.rows.map((d) => ({
        line: d.row,
        kind: d.kind,
        of: { file: d.of.shard, line: d.of.row },
        similarity: d.similarity,
      })),
    },
    contaminated: {
      count: report.contaminated.count,
      rows: report.contaminated.rows.map((c) => ({ line: c.row, evalSet: c.item.set, evalItem: c.item.id, overlap: c.overlap })),
    },
  };
}

function listed<T>(title: string, items: T[], total: number, line: (item: T) => string): string[] {
  if (total === 0) return [];
  const lines = [`  ${title}:`, ...items.slice(0, LISTED_IN_TEXT).map((i) => `    ${line(i)}`)];
  if (total > LISTED_IN_TEXT) lines.push(`    … and ${total - LISTED_IN_TEXT} more (--json lists them)`);
  return lines;
}

function textReport(r: ShardReport): string {
  const removed = r.duplicates.exact + r.duplicates.near + r.contaminated.count;
  const lines = [
    `${r.name}: ${r.schemaLabel} (${r.format})`,
    `  rows kept ${r.rowsKept} of ${r.rowsLoaded + r.badCount} read: ${r.badCount} bad, ` +
      `${r.duplicates.exact} exact and ${r.duplicates.near} near duplicates (${r.duplicates.acrossShards} of other shards), ` +
      `${r.contaminated.count} contaminated${removed + r.badCount === 0 ? '' : ' removed'}`,
    ...listed('bad rows', r.bad, r.badCount, (b) => `${r.unit} ${b.row}: ${b.reason}`),
    ...listed(
      'duplicates',
      r.duplicates.rows,
      r.duplicates.exact + r.duplicates.near,
      (d) =>
        `${r.unit} ${d.row}: ${d.kind} duplicate of ${d.of.shard} ${r.unit} ${d.of.row}${d.kind === 'near' ? ` (similarity ${d.similarity.toFixed(2)})` : ''}`,
    ),
    ...listed(
      'contaminated',
      r.contaminated.rows,
      r.contaminated.count,
      (c) => `${r.unit} ${c.row}: overlaps ${c.item.id} in ${c.item.set} ("${c.overlap.slice(0, 60)}…")`,
    ),
  ];
  return lines.join('\n') + '\n';
}

export const command: CliCommand = {
  name: 'data',
  summary: 'validate, deduplicate and decontaminate dataset shards',
  usage: `usage: lora-lab data <shard>... [--decontaminate <eval file>]... [--json] [--map role=field,...] [--ngram N]

Reads each shard (JSON Lines, JSON array, Parquet, gzip-compressed JSON Lines) with the lab's own loader and
reports per shard: the detected layout, rows kept, bad rows (line or row number and reason), exact and near
duplicates removed (within the shard and against the shards before it) and rows removed for overlapping an
evaluation set.
  --decontaminate F  an evaluation set (MATH, MATH-500, GSM8K test…); repeat the flag for several
  --ngram N          shared words that count as contamination (default ${DEFAULT_NGRAM_WORDS}, as Skywork-Math);
                     a shorter problem counts when a row holds all its words in a run (${MIN_CONTAINED_WORDS} words or
                     more) or when the row's problem is the same text
  --map R=F,...      field mapping for other layouts, e.g. prompt=instruction,response=output
                     (roles: ${FIELD_ROLES.join(', ')})
  --json             one JSON object per shard per line: file, format, schema, unit ("line": 1-based line;
                     "row": 0-based row), rows (kept), rowsValid, badCount, bad [{line, reason}],
                     duplicates {exact, near, acrossShards, rows}, contaminated {count, rows}
A shard that is not a dataset at all is reported as an error (exit code 1); the other shards still load.`,
  async run(args, io) {
    const parsed = parseArgs(args, { values: ['decontaminate', 'map', 'ngram'], switches: ['json'] });
    if (parsed.positional.length === 0) throw new CliUsageError('name at least one shard file');
    const json = parsed.flags.has('json');
    const fields = parseFieldMap(flag(parsed, 'map'));
    const ngram = numberFlag(parsed, 'ngram', DEFAULT_NGRAM_WORDS, (n) => Number.isInteger(n) && n >= 1);

    // The lab's own data workspace, reporting only: a shard of millions of rows is cleaned without being held.
    const { engine } = cliEngine({ datasets: { ngramWords: ngram, keepExamples: false } });
    const evalFiles = parsed.flags.get('decontaminate') ?? [];
    if (evalFiles.length > 0) {
      const sets = [];
      for (const path of evalFiles) sets.push(await engine.addEvalSet(await openFile(path)));
      if (!json) {
        const problems = sets.reduce((sum, e) => sum + e.problems, 0);
        const short = sets.reduce((sum, e) => sum + e.verbatimOnly, 0);
        io.err(
          `decontaminating against ${problems} evaluation problems (${short} shorter than ${MIN_CONTAINED_WORDS} words match only a row with the same problem)\n`,
        );
      }
    }

    let failed = 0;
    for (const path of parsed.positional) {
      try {
        const file = await openFile(path);
        const progress = progressTo(io, path, file.size);
        const { added, failed: refused } = await engine.addShards([file], progress && ((p) => progress(p.done, p.total)), fields);
        if (refused.length > 0) throw new LabError(refused[0].message);
        io.out(json ? JSON.stringify(jsonReport(added[0])) + '\n' : textReport(added[0]));
      } catch (error) {
        if (!(error instanceof LabError)) throw error;
        failed++;
        io.out(json ? JSON.stringify({ file: path, error: error.message }) + '\n' : `${path}: error: ${error.message}\n`);
      }
    }
    return failed > 0 ? 1 : 0;
  },
};

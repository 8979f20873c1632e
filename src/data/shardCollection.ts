/**
 * The shards a user has loaded, cleaned together: each new shard is validated, deduplicated against itself
 * and every shard before it, and decontaminated against the evaluation sets in use. A shard joins the
 * collection only once it has loaded completely; if it fails, the collection is exactly as it was.
 * Kept rows and dedup signatures go to scratch files (OPFS in the page), so millions of rows fit.
 */
import { LabError } from '../errors';
import { ContaminationIndex, type Contamination } from './decontaminate';
import { DEFAULT_DEDUP, Deduplicator, type DedupOptions, type Duplicate } from './dedup';
import type { ExampleSource } from './example';
import { KeptRows, RowFile } from './keptRows';
import { memoryScratch, type ScratchOpener } from '../util/scratchFile';
import { scanShard, type LoadOptions, type ShardScan } from './shard';
import type { ScratchFile } from '../util/scratchFile';

export interface DuplicateRow extends Duplicate {
  row: number;
}

export interface ContaminatedRow extends Contamination {
  row: number;
}

export interface ShardReport extends ShardScan {
  /** Rows that passed validation but were removed as duplicates or contaminated are not in `rowsKept`. */
  rowsKept: number;
  duplicates: { exact: number; near: number; acrossShards: number; rows: DuplicateRow[] };
  contaminated: { count: number; rows: ContaminatedRow[] };
}

export interface CollectionOptions {
  dedup?: Partial<DedupOptions>;
  /** Evaluation sets to decontaminate against; none means no decontamination. */
  contamination?: ContaminationIndex;
  /** Keep the cleaned Examples (the lab does); the CLI only reports, so it holds none. */
  keepExamples?: boolean;
  /** Duplicate and contaminated rows beyond this many are counted but not listed. */
  maxListedRows?: number;
  /** Where kept rows and dedup signatures are written (default: memory). */
  scratch?: ScratchOpener;
}

export interface LoadedShardEntry {
  report: ShardReport;
  /** The kept rows (absent when the collection keeps none). */
  rows?: RowFile;
}

export class ShardCollection {
  private dedup: Deduplicator | undefined;
  private readonly entries: LoadedShardEntry[] = [];
  private readonly scratch: ScratchOpener;
  private filesOpened = 0;
  constructor(private readonly options: CollectionOptions = {}) {
    this.scratch = options.scratch ?? memoryScratch();
  }

  get shards(): readonly LoadedShardEntry[] {
    return this.entries;
  }

  /** Every kept example, shard by shard in load order. */
  examples(): ExampleSource {
    return new KeptRows(this.entries.flatMap((e) => (e.rows ? [e.rows] : [])));
  }

  /** Closes the scratch files (the collection is not used again). */
  close(): void {
    for (const e of this.entries) e.rows?.close();
    this.dedup?.close();
  }

  /** A scratch file of this collection's, emptied of anything an earlier session left under its name. */
  private async emptyFile(name: string): Promise<ScratchFile> {
    const file = await this.scratch(name);
    file.truncate(0);
    return file;
  }

  async add(blob: Blob, name: string, loadOptions: LoadOptions = {}): Promise<ShardReport> {
    if (this.entries.some((e) => e.report.name === name)) {
      throw new LabError('a shard with this name is already loaded', name, 'rename the file or remove the loaded shard first');
    }
    this.dedup ??= new Deduplicator({ ...DEFAULT_DEDUP, ...this.options.dedup }, await this.emptyFile('signatures'));
    const session = this.dedup.session();
    const keep = this.options.keepExamples ?? true;
    const maxListed = this.options.maxListedRows ?? 10_000;
    const kept = keep ? new RowFile(name, await this.emptyFile(`rows-${++this.filesOpened}`)) : undefined;
    const duplicates: ShardReport['duplicates'] = { exact: 0, near: 0, acrossShards: 0, rows: [] };
    const contaminated: ShardReport['contaminated'] = { count: 0, rows: [] };
    let rowsKept = 0;

    let scan: ShardScan;
    try {
      scan = await scanShard(
        blob,
        name,
        (example) => {
          const hit = this.options.contamination?.match(example);
          if (hit) {
            if (contaminated.rows.length < maxListed) contaminated.rows.push({ row: example.row, ...hit });
            contaminated.count++;
            return;
          }
          const duplicate = session.check(example);
          if (duplicate) {
            duplicates[duplicate.kind]++;
            if (duplicate.of.shard !== name) duplicates.acrossShards++;
            if (duplicates.rows.length < maxListed) duplicates.rows.push({ row: example.row, ...duplicate });
            return;
          }
          rowsKept++;
          kept?.append(example);
        },
        loadOptions,
      );
    } catch (error) {
      kept?.close();
      throw error;
    }
    session.commit(name);
    const report: ShardReport = { ...scan, rowsKept, duplicates, contaminated };
    this.entries.push({ report, rows: kept });
    return report;
  }
}

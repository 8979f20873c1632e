/**
 * The shards a user has loaded, cleaned together: each new shard is validated, deduplicated against itself
 * and every shard before it, and decontaminated against the evaluation sets in use. A shard joins the
 * collection only once it has loaded completely; if it fails, the collection is exactly as it was.
 */
import { LabError } from '../errors';
import { ContaminationIndex, type Contamination } from './decontaminate';
import { DEFAULT_DEDUP, Deduplicator, type DedupOptions, type Duplicate } from './dedup';
import type { Example } from './example';
import { scanShard, type LoadOptions, type ShardScan } from './shard';

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
}

export interface LoadedShardEntry {
  report: ShardReport;
  examples: Example[];
}

export class ShardCollection {
  private readonly dedup: Deduplicator;
  private readonly entries: LoadedShardEntry[] = [];
  constructor(private readonly options: CollectionOptions = {}) {
    this.dedup = new Deduplicator({ ...DEFAULT_DEDUP, ...options.dedup });
  }

  get shards(): readonly LoadedShardEntry[] {
    return this.entries;
  }

  /** Every kept example, shard by shard in load order. */
  examples(): Example[] {
    return this.entries.flatMap((e) => e.examples);
  }

  async add(blob: Blob, name: string, loadOptions: LoadOptions = {}): Promise<ShardReport> {
    if (this.entries.some((e) => e.report.name === name)) {
      throw new LabError('a shard with this name is already loaded', name, 'rename the file or remove the loaded shard first');
    }
    const session = this.dedup.session();
    const keep = this.options.keepExamples ?? true;
    const maxListed = this.options.maxListedRows ?? 10_000;
    const kept: Example[] = [];
    const duplicates: ShardReport['duplicates'] = { exact: 0, near: 0, acrossShards: 0, rows: [] };
    const contaminated: ShardReport['contaminated'] = { count: 0, rows: [] };
    let rowsKept = 0;

    const scan = await scanShard(
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
        if (keep) kept.push(example);
      },
      loadOptions,
    );
    session.commit();
    const report: ShardReport = { ...scan, rowsKept, duplicates, contaminated };
    this.entries.push({ report, examples: kept });
    return report;
  }
}

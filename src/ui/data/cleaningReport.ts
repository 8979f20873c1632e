/**
 * What cleaning removed, as a JSON file the Data panel offers for download: per shard, every listed duplicate (with
 * the kept row it repeats) and contaminated row (with the evaluation problem it holds), so a user can check them.
 */
import type { DataSummary } from '../../worker/api';

export function cleaningReport(summary: DataSummary): string {
  return JSON.stringify({
    evalSets: summary.evalSets,
    ngramWords: summary.ngramWords,
    shards: summary.shards.map((s) => ({
      name: s.name,
      unit: s.unit,
      rowsLoaded: s.rowsLoaded,
      rowsKept: s.rowsKept,
      duplicates: s.duplicates,
      contaminated: {
        count: s.contaminated.count,
        rows: s.contaminated.rows.map((c) => ({ row: c.row, set: c.item.set, problem: c.item.id, overlap: c.overlap })),
      },
    })),
  });
}

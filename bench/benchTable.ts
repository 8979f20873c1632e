import { textTable } from '../src/util/textTable';
import type { BenchRow } from './harness';

/** A bench value with three significant figures or so, as the tables print it. */
export function formatValue(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

/** The peer's value as a table cell: "no value" where it could not run (the note says why). */
export function peerValueText(peer: NonNullable<BenchRow['peer']>): string {
  return Number.isNaN(peer.value) ? 'no value' : formatValue(peer.value);
}

/** The note cell: why the peer gave no value first, then the row's own note. */
export function noteText(row: BenchRow): string {
  return [row.peer?.reason, row.note].filter(Boolean).join('; ');
}

/** The rows as an aligned plain-text table, as the bench runners print them. */
export function benchTable(rows: BenchRow[]): string {
  const header = ['suite', 'case', 'metric', 'ours', 'peer', 'peer value', 'ours/peer', 'note'];
  const body = rows.map((r) => [
    r.suite,
    r.case,
    r.metric,
    formatValue(r.ours),
    r.peer?.name ?? '',
    r.peer ? peerValueText(r.peer) : '',
    r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '',
    noteText(r),
  ]);
  return textTable(header, body);
}

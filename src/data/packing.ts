/**
 * Packing tokenized examples into fixed-length rows, so a batch wastes little compute on padding.
 * Each row carries per-token segment ids (1, 2, … per example; 0 for padding) and positions that restart at
 * 0 for every segment, so attention can stay inside a segment and RoPE sees each example from position 0.
 * Examples go in the given order (shuffle first); a row is closed when the next example does not fit.
 */
import type { TokenizedExample } from './tokenize';

export interface PackedRow {
  tokens: Int32Array;
  /** 1 where the loss predicts this token (see tokenize.ts); padding is 0. */
  targets: Uint8Array;
  segmentIds: Int32Array;
  positions: Int32Array;
  /** How many examples the row holds. */
  segments: number;
}

export interface PackedSet {
  rows: PackedRow[];
  /** Tokens that are not padding, as a fraction of all row tokens. */
  utilisation: number;
}

function emptyRow(seqLen: number, padId: number): PackedRow {
  return {
    tokens: new Int32Array(seqLen).fill(padId),
    targets: new Uint8Array(seqLen),
    segmentIds: new Int32Array(seqLen),
    positions: new Int32Array(seqLen),
    segments: 0,
  };
}

export function packExamples(examples: readonly TokenizedExample[], seqLen: number, padId: number): PackedSet {
  const rows: PackedRow[] = [];
  let row: PackedRow | undefined;
  let used = 0;
  let realTokens = 0;
  for (const [i, e] of examples.entries()) {
    const n = e.tokens.length;
    if (n > seqLen) {
      throw new RangeError(
        `example ${i} (${e.from.shard} row ${e.from.row}) has ${n} tokens, more than the row length ${seqLen}; tokenize with maxTokens <= ${seqLen}`,
      );
    }
    if (!row || used + n > seqLen) {
      row = emptyRow(seqLen, padId);
      rows.push(row);
      used = 0;
    }
    row.segments++;
    row.tokens.set(e.tokens, used);
    row.targets.set(e.targets, used);
    row.segmentIds.fill(row.segments, used, used + n);
    for (let p = 0; p < n; p++) row.positions[used + p] = p;
    used += n;
    realTokens += n;
  }
  return { rows, utilisation: rows.length === 0 ? 0 : realTokens / (rows.length * seqLen) };
}

/** Consecutive groups of `batchSize` rows; the last batch may be smaller. */
export function batchesOf<T>(rows: readonly T[], batchSize: number): T[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += batchSize) out.push(rows.slice(i, i + batchSize));
  return out;
}

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

/** Packed rows by position: an array, or rows read back from a run's data file (packedRowsFile.ts). */
export interface PackedRowSource {
  readonly length: number;
  at(index: number): PackedRow | undefined;
}

/**
 * Packs examples one at a time and hands on each row as soon as it is closed, so millions of examples are packed
 * without their rows ever being in memory together.
 */
export class RowPacker {
  private row: PackedRow | undefined;
  private used = 0;
  private examples = 0;
  rows = 0;
  realTokens = 0;

  constructor(
    private readonly seqLen: number,
    private readonly padId: number,
    private readonly emit: (row: PackedRow) => void,
  ) {}

  add(e: TokenizedExample): void {
    const n = e.tokens.length;
    if (n > this.seqLen) {
      throw new RangeError(
        `example ${this.examples} (${e.from.shard} row ${e.from.row}) has ${n} tokens, more than the row length ${this.seqLen}; tokenize with maxTokens <= ${this.seqLen}`,
      );
    }
    if (!this.row || this.used + n > this.seqLen) {
      this.close();
      this.row = emptyRow(this.seqLen, this.padId);
      this.used = 0;
    }
    const row = this.row;
    row.segments++;
    row.tokens.set(e.tokens, this.used);
    row.targets.set(e.targets, this.used);
    row.segmentIds.fill(row.segments, this.used, this.used + n);
    for (let p = 0; p < n; p++) row.positions[this.used + p] = p;
    this.used += n;
    this.realTokens += n;
    this.examples++;
  }

  /** Hands on the last, partly filled row. */
  finish(): void {
    this.close();
  }

  /** Tokens that are not padding, as a fraction of all row tokens. */
  get utilisation(): number {
    return this.rows === 0 ? 0 : this.realTokens / (this.rows * this.seqLen);
  }

  private close(): void {
    if (!this.row) return;
    this.emit(this.row);
    this.rows++;
    this.row = undefined;
  }
}

export function packExamples(examples: readonly TokenizedExample[], seqLen: number, padId: number): PackedSet {
  const rows: PackedRow[] = [];
  const packer = new RowPacker(seqLen, padId, (row) => rows.push(row));
  for (const e of examples) packer.add(e);
  packer.finish();
  return { rows, utilisation: packer.utilisation };
}

/** Consecutive groups of `batchSize` rows; the last batch may be smaller. */
export function batchesOf<T>(rows: readonly T[], batchSize: number): T[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += batchSize) out.push(rows.slice(i, i + batchSize));
  return out;
}

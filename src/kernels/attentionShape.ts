import { LabError } from '../errors';

/**
 * The shape of one causal grouped-query attention call, shared by the kernels and their references.
 *
 * Layouts (row-major, elements):
 *   Q, O, dQ, dO: [batch, qLen, nHeads, headDim]       as the q/o projections produce and consume them
 *   K, V, dK, dV: [batch, kvLen, nKvHeads, headDim]    as the k/v projections produce them ("token-major")
 *   LSE, D:       [batch, nHeads, qLen]                 f32, natural-log log-sum-exp of each score row / rowsum(dO∘O)
 *   segStart:     [batch, qLen]                         u32, optional (sequence packing)
 *
 * Queries are the last `qLen` of the `kvLen` positions: query i sits at position p(i) = kvLen − qLen + i
 * (training and plain prefill have qLen = kvLen). Query i attends to key j iff
 *   j ≤ p(i)                      causal
 *   j > p(i) − window             sliding window (window = 0: none; Mistral v0.1 uses 4096)
 *   j ≥ segStart[i]               packing: the first position of i's own sequence in the packed row
 * Scores are scaled by 1/√headDim. Query head h reads KV head ⌊h / (nHeads / nKvHeads)⌋.
 * segStart must satisfy segStart[i] ≤ p(i) (every token sees itself) and be non-decreasing along a row (packed
 * sequences are contiguous); the kernels rely on the latter to skip whole tiles.
 */
export interface AttentionShape {
  batch?: number;
  qLen: number;
  /** Number of key/value positions; defaults to qLen. */
  kvLen?: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** Sliding window in tokens (token i sees the last `window` positions up to itself); 0 or absent: unlimited. */
  window?: number;
}

export interface ResolvedAttentionShape {
  batch: number;
  qLen: number;
  kvLen: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  window: number;
  /** Query heads per KV head. */
  group: number;
  scale: number;
}

export function resolveAttentionShape(shape: AttentionShape, where: string): ResolvedAttentionShape {
  const batch = shape.batch ?? 1;
  const kvLen = shape.kvLen ?? shape.qLen;
  const window = shape.window ?? 0;
  const { qLen, nHeads, nKvHeads, headDim } = shape;
  const positive = { batch, qLen, kvLen, nHeads, nKvHeads, headDim };
  for (const [name, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new LabError(`${name} must be a positive integer, got ${value}`, where, 'Check the model config and the batch shape.');
    }
  }
  if (nHeads % nKvHeads !== 0) {
    throw new LabError(
      `nHeads (${nHeads}) is not a multiple of nKvHeads (${nKvHeads})`,
      where,
      'Grouped-query attention needs each KV head shared by the same number of query heads.',
    );
  }
  if (qLen > kvLen) {
    throw new LabError(
      `qLen (${qLen}) exceeds kvLen (${kvLen})`,
      where,
      'Queries are the last qLen positions of the keys; append the new keys to the cache first.',
    );
  }
  if (!Number.isInteger(window) || window < 0) {
    throw new LabError(`window must be a non-negative integer, got ${window}`, where);
  }
  return { batch, qLen, kvLen, nHeads, nKvHeads, headDim, window, group: nHeads / nKvHeads, scale: 1 / Math.sqrt(headDim) };
}

/** Whether query i (index among the qLen queries) may attend to key position j. */
export function attends(s: ResolvedAttentionShape, i: number, j: number, segStart?: number): boolean {
  const p = s.kvLen - s.qLen + i;
  if (j > p) return false;
  if (s.window > 0 && j <= p - s.window) return false;
  return segStart === undefined || j >= segStart;
}

/**
 * Per-token segment starts for a row packing sequences of the given lengths back to back (lengths sum to the row
 * length): token t of the sequence starting at s gets s.
 */
export function packedSegmentStarts(lengths: readonly number[]): Uint32Array {
  const total = lengths.reduce((a, b) => a + b, 0);
  const out = new Uint32Array(total);
  let start = 0;
  for (const n of lengths) {
    out.fill(start, start, start + n);
    start += n;
  }
  return out;
}

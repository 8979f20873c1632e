import type { PackedRow } from '../data/packing';
import type { BatchInputs } from '../model/training/trainingGraph';
import { LabError } from '../errors';

/**
 * A micro-batch of packed rows as the training graph reads it. Label at position i is the token at i + 1 when
 * that token is a target of the same packed sequence (targets[i + 1] = 1), else −1 (masked: prompt, the jump
 * to the next sequence, padding). Rows past `rows.length` up to `batch` are empty (every label masked).
 * Padding tokens (segment id 0) form a sequence of their own, so no real token attends to them.
 */
export function batchInputs(rows: readonly PackedRow[], batch: number, seqLen: number): BatchInputs {
  if (rows.length > batch) throw new LabError(`${rows.length} rows for a batch of ${batch}`, 'training batch');
  const T = batch * seqLen;
  const out: BatchInputs = {
    ids: new Uint32Array(T),
    positions: new Uint32Array(T),
    segStart: new Uint32Array(T),
    labels: new Int32Array(T).fill(-1),
  };
  rows.forEach((row, r) => {
    if (row.tokens.length !== seqLen) throw new LabError(`row ${r} has ${row.tokens.length} tokens, expected ${seqLen}`, 'training batch');
    const base = r * seqLen;
    let start = 0;
    for (let i = 0; i < seqLen; i++) {
      if (i > 0 && row.segmentIds[i] !== row.segmentIds[i - 1]) start = i;
      out.ids[base + i] = row.tokens[i];
      out.positions[base + i] = row.segmentIds[i] === 0 ? i - start : row.positions[i];
      out.segStart[base + i] = start;
      const next = i + 1;
      if (next < seqLen && row.targets[next] === 1 && row.segmentIds[next] === row.segmentIds[i] && row.segmentIds[i] !== 0) {
        out.labels[base + i] = row.tokens[next];
      }
    }
  });
  for (let r = rows.length; r < batch; r++) {
    for (let i = 0; i < seqLen; i++) out.positions[r * seqLen + i] = i;
  }
  return out;
}

/** Tokens whose loss counts (label ≥ 0). */
export function countTargets(batch: BatchInputs): number {
  let n = 0;
  for (const label of batch.labels) if (label >= 0) n++;
  return n;
}

import type { Binding, Recorder } from '../gpu/recorder';
import { ceilDiv, grid2d } from '../gpu/grid';
import { uniformLayout } from '../gpu/uniforms';
import { resolveAttentionShape, type AttentionShape } from './attentionShape';
import { ATTENTION_SHAPE_FIELDS, attentionRowsParams, checkHeadDim, type AttentionOptions } from './attention';
import { attentionTilingKind, keyRowTiling, queryRowTiling } from './attentionTiling';

export interface AttentionBackwardBuffers {
  /** Forward inputs and outputs: Q, O [batch, qLen, nHeads, headDim] and K, V [batch, kvLen, nKvHeads, headDim], f32. */
  q: Binding;
  k: Binding;
  v: Binding;
  out: Binding;
  /** [batch, nHeads, qLen] f32 saved by attentionForward. */
  lse: Binding;
  segStart?: Binding;
  /** Gradient of the loss with respect to O, [batch, qLen, nHeads, headDim] f32. */
  dOut: Binding;
  /** Scratch, [batch, nHeads, qLen] f32: D = rowsum(dO ∘ O). */
  rowDot: Binding;
  /** Written (not accumulated), f32: dQ like Q, dK and dV like K and V. */
  dq: Binding;
  dk: Binding;
  dv: Binding;
}

const ROW_THREADS = 4; // the head dims every tiling can split

export const ROW_DOT_PARAMS = uniformLayout('attention_backward_rowdot', { rows: 'u32', qLen: 'u32', nHeads: 'u32' });

export const KEY_ROWS_PARAMS = uniformLayout('attention_backward_kv', ATTENTION_SHAPE_FIELDS);

/**
 * Records the attention backward pass: D = rowsum(dO∘O) (attention_backward_rowdot.wgsl), then dQ
 * (attention_backward_q.wgsl, one workgroup per query block) and dK, dV (attention_backward_kv.wgsl, one workgroup
 * per key block of a KV head, summing over that head's query heads). Probabilities are recomputed from Q, K and the
 * saved LSE. K and V must be token-major (the training layout).
 */
export function attentionBackward(
  rec: Recorder,
  buffers: AttentionBackwardBuffers,
  shape: AttentionShape,
  options: Pick<AttentionOptions, 'tiling'> = {},
): void {
  const where = 'attentionBackward';
  const s = resolveAttentionShape(shape, where);
  checkHeadDim(s.headDim, ROW_THREADS, where);
  const kind = attentionTilingKind(rec, options.tiling);
  const qTiling = queryRowTiling(kind, s.headDim);
  const kvTiling = keyRowTiling(kind, s.headDim);
  const hasSegments = buffers.segStart ? 1 : 0;
  // Without segments the kernels never read segStart; Q (also read-only) fills the binding.
  const segStart = buffers.segStart ?? buffers.q;

  const rows = s.batch * s.qLen * s.nHeads;
  rec.dispatch(
    { shader: 'attention_backward_rowdot', constants: { HEAD_DIM: s.headDim } },
    [buffers.out, buffers.dOut, buffers.rowDot],
    grid2d(ceilDiv(rows, 64), rec.gpu.limits.maxComputeWorkgroupsPerDimension),
    ROW_DOT_PARAMS.pack({ rows, qLen: s.qLen, nHeads: s.nHeads }),
  );

  rec.dispatch(
    {
      shader: 'attention_backward_q',
      constants: { HEAD_DIM: s.headDim, ROW_THREADS: qTiling.rowThreads, BQ: qTiling.rows, HAS_SEGMENTS: hasSegments },
    },
    [buffers.q, buffers.k, buffers.v, segStart, buffers.dOut, buffers.lse, buffers.rowDot, buffers.dq],
    [ceilDiv(s.qLen, qTiling.rows), s.nHeads, s.batch],
    attentionRowsParams(s, { kind: 'tokens' }, where),
  );

  rec.dispatch(
    {
      shader: 'attention_backward_kv',
      constants: { HEAD_DIM: s.headDim, ROW_THREADS: kvTiling.rowThreads, BKV: kvTiling.rows, HAS_SEGMENTS: hasSegments },
    },
    [buffers.q, buffers.k, buffers.v, segStart, buffers.dOut, buffers.lse, buffers.rowDot, buffers.dk, buffers.dv],
    [ceilDiv(s.kvLen, kvTiling.rows), s.nKvHeads, s.batch],
    KEY_ROWS_PARAMS.pack(s),
  );
}

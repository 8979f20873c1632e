import type { Binding, Recorder } from '../gpu/recorder';
import { ceilDiv } from '../gpu/grid';
import { uniformLayout, type PackedUniforms } from '../gpu/uniforms';
import { LabError } from '../errors';
import { resolveAttentionShape, type AttentionShape, type ResolvedAttentionShape } from './attentionShape';
import { f16Constant, type StoredPrecision } from './storedValues';
import { attentionTilingKind, MAX_DIMS_PER_THREAD, queryRowTiling, type AttentionTilingKind } from './attentionTiling';

export type { AttentionShape } from './attentionShape';

/**
 * Where K and V live. 'tokens': [batch, kvLen, nKvHeads, headDim] as the k/v projections write them; with
 * `batchStride` (elements, at least kvLen·nKvHeads·headDim) sequence b starts at b·batchStride instead, so kvLen
 * can be the longest live sequence while each sequence owns a larger slot (the batch KV cache).
 * 'cache': [batch, nKvHeads, maxCtx, headDim], the KV cache layout (positions 0..kvLen−1 are read).
 */
export type KvLayout = { kind: 'tokens'; batchStride?: number } | { kind: 'cache'; maxCtx: number };

export interface AttentionForwardBuffers {
  /** [batch, qLen, nHeads, headDim] f32 */
  q: Binding;
  /** Laid out as `kvLayout` says, stored as `kvStorage` says. */
  k: Binding;
  v: Binding;
  /** [batch, qLen, nHeads, headDim] f32, written */
  out: Binding;
  /** [batch, nHeads, qLen] f32, written: log-sum-exp of each scaled score row, for the backward pass */
  lse: Binding;
  /** [batch, qLen] u32 first key position of each token's packed sequence (see attentionShape.ts) */
  segStart?: Binding;
}

export interface AttentionOptions {
  kvLayout?: KvLayout;
  /** How K and V are stored: 'f32' (the default) as the projections write them, or as a KV cache holds them. */
  kvStorage?: StoredPrecision;
  /** Workgroup shape; by default the adapter's kind (attentionTiling.ts). Tests force each to cover both. */
  tiling?: AttentionTilingKind;
}

/** The shape fields the forward and backward attention kernels' parameters begin with, packed from a resolved shape. */
export const ATTENTION_SHAPE_FIELDS = { qLen: 'u32', kvLen: 'u32', nHeads: 'u32', nKvHeads: 'u32', scale: 'f32', window: 'u32' } as const;

/** The parameters of shaders/attention_rows.wgsl, which both query-row kernels include. */
export const ATTENTION_ROWS_PARAMS = uniformLayout(['attention', 'attention_backward_q'], {
  ...ATTENTION_SHAPE_FIELDS,
  kvStrideToken: 'u32',
  kvStrideHead: 'u32',
  kvStrideBatch: 'u32',
});

/** Threads per row of the GPU tiling: the head dims every tiling can split. */
const ROW_THREADS = 4;

/** Head dims the tiled kernels take: split over ROW_THREADS threads with at most 32 dims each. */
export function checkHeadDim(headDim: number, rowThreads: number, where: string): void {
  if (headDim % rowThreads !== 0 || headDim / rowThreads > MAX_DIMS_PER_THREAD) {
    throw new LabError(
      `head dim ${headDim} is not supported (it must be a multiple of ${rowThreads} and at most ${rowThreads * MAX_DIMS_PER_THREAD})`,
      where,
      'Head dims 8 to 128 in steps of 4 cover Llama, Mistral and Qwen2 models.',
    );
  }
}

/** The query-row kernels' parameters: the shape and the K/V strides of `layout`. */
export function attentionRowsParams(s: ResolvedAttentionShape, layout: KvLayout, where: string): PackedUniforms {
  const strides = kvStrides(s, layout, where);
  return ATTENTION_ROWS_PARAMS.pack({
    ...s,
    kvStrideToken: strides.token,
    kvStrideHead: strides.head,
    kvStrideBatch: strides.batch,
  });
}

/** Element strides of K/V (token, head, batch) for a layout. */
export function kvStrides(s: ResolvedAttentionShape, layout: KvLayout, where: string): { token: number; head: number; batch: number } {
  if (layout.kind === 'tokens') {
    const dense = s.kvLen * s.nKvHeads * s.headDim;
    const batch = layout.batchStride ?? dense;
    if (!Number.isInteger(batch) || batch < dense) {
      throw new LabError(
        `batch stride ${batch} is less than kvLen ${s.kvLen} × ${s.nKvHeads} KV heads × head dim ${s.headDim}`,
        where,
        'Give each sequence a slot of at least kvLen positions.',
      );
    }
    return { token: s.nKvHeads * s.headDim, head: s.headDim, batch };
  }
  if (layout.maxCtx < s.kvLen) {
    throw new LabError(
      `kvLen ${s.kvLen} exceeds the cache's maxCtx ${layout.maxCtx}`,
      where,
      'Allocate a larger KV cache or shorten the context.',
    );
  }
  return { token: s.headDim, head: layout.maxCtx * s.headDim, batch: s.nKvHeads * layout.maxCtx * s.headDim };
}

/** Records the flash-style forward (shaders/attention.wgsl): O and the per-row LSE, never storing the scores. */
export function attentionForward(
  rec: Recorder,
  buffers: AttentionForwardBuffers,
  shape: AttentionShape,
  options: AttentionOptions = {},
): void {
  const where = 'attentionForward';
  const s = resolveAttentionShape(shape, where);
  checkHeadDim(s.headDim, ROW_THREADS, where);
  const params = attentionRowsParams(s, options.kvLayout ?? { kind: 'tokens' }, where);
  const { rowThreads, rows } = queryRowTiling(attentionTilingKind(rec, options.tiling), s.headDim);
  rec.dispatch(
    {
      shader: 'attention',
      constants: {
        HEAD_DIM: s.headDim,
        ROW_THREADS: rowThreads,
        BQ: rows,
        HAS_SEGMENTS: buffers.segStart ? 1 : 0,
        KV_F16: f16Constant(options.kvStorage ?? 'f32'),
      },
    },
    // Without segments the kernel never reads segStart; Q (also read-only) fills the binding.
    [buffers.q, buffers.k, buffers.v, buffers.segStart ?? buffers.q, buffers.out, buffers.lse],
    [ceilDiv(s.qLen, rows), s.nHeads, s.batch],
    params,
  );
}

import type { Binding, Recorder } from '../gpu/recorder';
import type { ActivationPrecision } from '../gpu/shaderLibrary';
import { ceilDiv } from '../gpu/grid';
import { uniforms } from '../gpu/uniforms';
import { LabError } from '../errors';
import { resolveAttentionShape } from './attentionShape';
import { kvStrides, type KvLayout } from './attention';

/**
 * One decode step: a single new query token per sequence (all sequences of the batch at the same cache length)
 * against a KV cache of `kvLen` positions that already holds the new token's key and value.
 */
export interface AttentionDecodeShape {
  batch?: number;
  kvLen: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  window?: number;
}

export interface AttentionDecodeBuffers {
  /** [batch, nHeads, headDim] act_t: the new token's queries. */
  q: Binding;
  /** The cache, laid out as `kvLayout` says (normally [batch, nKvHeads, maxCtx, headDim]), act_t. */
  k: Binding;
  v: Binding;
  /** Scratch of attentionDecodeScratchBytes(shape) bytes. */
  partials: Binding;
  /** [batch, nHeads, headDim] act_t, written. */
  out: Binding;
}

/** Keys per split-K chunk: one per thread of a decode workgroup. */
const CHUNK = 128;

function plan(shape: AttentionDecodeShape) {
  const where = 'attentionDecode';
  const s = resolveAttentionShape({ ...shape, qLen: 1 }, where);
  if (CHUNK % s.headDim !== 0) {
    throw new LabError(`head dim ${s.headDim} does not divide ${CHUNK}`, where, 'Decode supports head dims 8, 16, 32, 64 and 128.');
  }
  const keyStart = s.window > 0 && s.kvLen > s.window ? s.kvLen - s.window : 0;
  return { s, keyStart, nSplits: ceilDiv(s.kvLen - keyStart, CHUNK) };
}

/** Bytes of the split-K scratch buffer for a decode shape: per head and chunk, HEAD_DIM + 2 floats. */
export function attentionDecodeScratchBytes(shape: AttentionDecodeShape): number {
  const { s, nSplits } = plan(shape);
  return s.batch * s.nHeads * nSplits * (s.headDim + 2) * 4;
}

/**
 * Records a decode step (shaders/attention_decode.wgsl, then attention_decode_combine.wgsl): each 128-key chunk of
 * the visible cache is scored by its own workgroup, then the chunks' softmax statistics are merged.
 */
export function attentionDecode(
  rec: Recorder,
  buffers: AttentionDecodeBuffers,
  shape: AttentionDecodeShape,
  options: { kvLayout: KvLayout; precision?: ActivationPrecision },
): void {
  const { s, keyStart, nSplits } = plan(shape);
  const precision = options.precision ?? 'f32';
  const strides = kvStrides(s, options.kvLayout, 'attentionDecode');
  rec.dispatch(
    { shader: 'attention_decode', precision, constants: { HEAD_DIM: s.headDim, WG: CHUNK } },
    [buffers.q, buffers.k, buffers.v, buffers.partials],
    [nSplits, s.nHeads, s.batch],
    uniforms()
      .u32(s.kvLen)
      .u32(s.nHeads)
      .u32(s.nKvHeads)
      .f32(s.scale)
      .u32(keyStart)
      .u32(nSplits)
      .u32(strides.token)
      .u32(strides.head)
      .u32(strides.batch)
      .bytes(),
  );
  rec.dispatch(
    { shader: 'attention_decode_combine', precision, constants: { HEAD_DIM: s.headDim } },
    [buffers.partials, buffers.out],
    [s.nHeads, s.batch],
    uniforms().u32(s.nHeads).u32(nSplits).bytes(),
  );
}

import { bindingBytes, type Binding, type Recorder } from '../gpu/recorder';
import { ceilDiv } from '../gpu/grid';
import { uniformLayout } from '../gpu/uniforms';
import { LabError } from '../errors';
import { resolveAttentionShape } from './attentionShape';
import { kvStrides, type KvLayout } from './attention';
import { isCpuAdapter } from './cpuAdapter';
import { f16Constant, type StoredPrecision } from './storedValues';
import { ACTIVATION_BLOCK, quantizedActivationBytes } from './quantizeActivations';

/**
 * One decode step: a single new query token per sequence against a KV cache that already holds the new token's key
 * and value. `kvLen` is the cache length of every sequence, or the longest one when `lengths` gives each its own.
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
  /** [batch, nHeads, headDim] f32: the new token's queries. */
  q: Binding;
  /** The cache, laid out as `kvLayout` says (normally [batch, nKvHeads, maxCtx, headDim]), stored as `kvStorage` says. */
  k: Binding;
  v: Binding;
  /** [batch] u32 cache length of each sequence (1..kvLen); absent: all have kvLen. */
  lengths?: Binding;
  /** Scratch of attentionDecodeScratchBytes(shape) bytes. */
  partials: Binding;
  /** [batch, nHeads, headDim] f32, written. */
  out: Binding;
  /**
   * Written where given: `out` as 8-bit activation rows, the words `quantizeActivations(rec, out, quantizedOut,
   * { M: batch, K: nHeads·headDim })` would write, for the o-projection's integer dot products without that extra
   * dispatch; quantizedActivationBytes(batch, nHeads·headDim) bytes. Needs `attentionDecodeQuantizes(shape)`.
   */
  quantizedOut?: Binding;
}

/** Keys per split-K chunk: one workgroup's share of the cache. */
const CHUNK = 128;

export const DECODE_PARAMS = uniformLayout('attention_decode', {
  kvLen: 'u32',
  nHeads: 'u32',
  nKvHeads: 'u32',
  scale: 'f32',
  window: 'u32',
  nSplits: 'u32',
  kvStrideToken: 'u32',
  kvStrideHead: 'u32',
  kvStrideBatch: 'u32',
});

export const DECODE_COMBINE_PARAMS = uniformLayout('attention_decode_combine', { nHeads: 'u32', nSplits: 'u32' });

/**
 * Threads per decode workgroup: 64 on a GPU (two keys and half a 4-dim column each at head dim 128), one SIMD group
 * of 4 on a CPU adapter, where every barrier switches between all invocations.
 */
export function attentionDecodeThreads(rec: Recorder): number {
  return isCpuAdapter(rec.gpu.info) ? 4 : 64;
}

function plan(shape: AttentionDecodeShape) {
  const where = 'attentionDecode';
  const s = resolveAttentionShape({ ...shape, qLen: 1 }, where);
  if (CHUNK % s.headDim !== 0) {
    throw new LabError(`head dim ${s.headDim} does not divide ${CHUNK}`, where, 'Decode supports head dims 8, 16, 32, 64 and 128.');
  }
  const visible = s.window > 0 ? Math.min(s.window, s.kvLen) : s.kvLen;
  return { s, nSplits: ceilDiv(visible, CHUNK) };
}

/** Whether the decode step can also write its output quantized (`quantizedOut`): each head holds whole 32-value blocks. */
export function attentionDecodeQuantizes(shape: Pick<AttentionDecodeShape, 'headDim'>): boolean {
  return shape.headDim % ACTIVATION_BLOCK === 0;
}

function checkQuantizedOut(quantizedOut: Binding, s: { batch: number; nHeads: number; headDim: number }): void {
  const where = 'attentionDecode quantizedOut';
  if (!attentionDecodeQuantizes(s)) {
    throw new LabError(
      `head dim ${s.headDim} is not a multiple of ${ACTIVATION_BLOCK}: a head does not hold whole quantization blocks`,
      where,
      'quantize the output with quantizeActivations instead (check attentionDecodeQuantizes(shape) first)',
    );
  }
  const K = s.nHeads * s.headDim;
  const need = quantizedActivationBytes(s.batch, K);
  const have = bindingBytes(quantizedOut);
  if (have < need) {
    throw new LabError(
      `binding of ${have} bytes for ${s.batch} quantized rows of ${K} values (${need} bytes)`,
      where,
      'bind quantizedActivationBytes(batch, nHeads·headDim) bytes',
    );
  }
}

/** Bytes of the split-K scratch buffer for a decode shape: per head and chunk, HEAD_DIM + 2 floats. */
export function attentionDecodeScratchBytes(shape: AttentionDecodeShape): number {
  const { s, nSplits } = plan(shape);
  return s.batch * s.nHeads * nSplits * (s.headDim + 2) * 4;
}

/**
 * Records a decode step (shaders/attention_decode.wgsl, then attention_decode_combine.wgsl): each 128-key chunk of
 * the visible cache is scored by its own workgroup, then the chunks' softmax statistics are merged. A cache of one
 * chunk needs no merge: its workgroup writes the output, one dispatch instead of two, with the same bits. With
 * `quantizedOut`, whichever of the two writes the output also quantizes it (entry points `mainQuantized`), each
 * workgroup its own head's blocks.
 */
export function attentionDecode(
  rec: Recorder,
  buffers: AttentionDecodeBuffers,
  shape: AttentionDecodeShape,
  options: {
    kvLayout: KvLayout;
    kvStorage: StoredPrecision;
    /** Threads per workgroup instead of `attentionDecodeThreads`' choice (1..128), so tests cover both shapes. */
    threads?: number;
  },
): void {
  const { s, nSplits } = plan(shape);
  const strides = kvStrides(s, options.kvLayout, 'attentionDecode');
  const oneChunk = nSplits === 1;
  const { quantizedOut } = buffers;
  if (quantizedOut) checkQuantizedOut(quantizedOut, s);
  // The dispatch that writes O also quantizes it: the decode with one chunk, else the combine.
  const quantizing = (writesOut: boolean) =>
    quantizedOut && writesOut ? { entryPoint: 'mainQuantized', xq: [quantizedOut] } : { entryPoint: 'main', xq: [] };
  const decode = quantizing(oneChunk);
  rec.dispatch(
    {
      shader: 'attention_decode',
      entryPoint: decode.entryPoint,
      constants: {
        HEAD_DIM: s.headDim,
        CHUNK,
        WG: options.threads ?? attentionDecodeThreads(rec),
        HAS_LENGTHS: buffers.lengths ? 1 : 0,
        ONE_CHUNK: oneChunk ? 1 : 0,
        KV_F16: f16Constant(options.kvStorage),
      },
    },
    // Without per-sequence lengths the kernel never reads `lengths`; Q (also read-only) fills the binding.
    [buffers.q, buffers.k, buffers.v, buffers.lengths ?? buffers.q, buffers.partials, buffers.out, ...decode.xq],
    [nSplits, s.nHeads, s.batch],
    DECODE_PARAMS.pack({
      kvLen: s.kvLen,
      nHeads: s.nHeads,
      nKvHeads: s.nKvHeads,
      scale: s.scale,
      window: s.window,
      nSplits,
      kvStrideToken: strides.token,
      kvStrideHead: strides.head,
      kvStrideBatch: strides.batch,
    }),
  );
  if (oneChunk) return;
  const combine = quantizing(true);
  rec.dispatch(
    { shader: 'attention_decode_combine', entryPoint: combine.entryPoint, constants: { HEAD_DIM: s.headDim } },
    [buffers.partials, buffers.out, ...combine.xq],
    [s.nHeads, s.batch],
    DECODE_COMBINE_PARAMS.pack({ nHeads: s.nHeads, nSplits }),
  );
}

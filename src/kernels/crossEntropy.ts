import type { Binding, Recorder } from '../gpu/recorder';
import { uniformLayout, type PackedUniforms } from '../gpu/uniforms';
import { flatWorkgroups } from './flatGrid';
import { isCpuAdapter } from './cpuAdapter';

const WG = 256;

/**
 * Threads per row of the fused loss kernel: 256 on a GPU; one SIMD group of 4 on a CPU adapter, where each of the
 * tree's barriers would switch between all 256 invocations of a row that 4 lanes reduce faster alone.
 */
export function crossEntropyThreads(rec: Recorder): number {
  return isCpuAdapter(rec.gpu.info) ? 4 : WG;
}

export const CROSS_ENTROPY_PARAMS = uniformLayout(['cross_entropy', 'cross_entropy_backward'], {
  rows: 'u32',
  vocab: 'u32',
  rowOffset: 'u32',
  scale: 'f32',
});

export const CROSS_ENTROPY_MEAN_PARAMS = uniformLayout('cross_entropy_mean', { tokens: 'u32', vocab: 'u32' });

/**
 * One chunk of rows of the logits: rows [rowOffset, rowOffset + rows) of the batch's tokens. Labels, per-token loss
 * and log-sum-exp buffers span the whole batch; a label that is negative (−1) or ≥ vocab masks its token out.
 */
export interface CrossEntropyChunk {
  rows: number;
  vocab: number;
  rowOffset: number;
}

export interface CrossEntropyBuffers {
  /** [rows, vocab] f32 logits of this chunk. */
  logits: Binding;
  /** [tokens] i32 next-token labels. */
  labels: Binding;
  /** [tokens] f32 per-token loss (0 where masked). */
  loss: Binding;
  /** [tokens] f32 log-sum-exp per token, saved for `crossEntropyBackward`. */
  lse: Binding;
}

function params(chunk: CrossEntropyChunk, scale: number): PackedUniforms {
  return CROSS_ENTROPY_PARAMS.pack({ rows: chunk.rows, vocab: chunk.vocab, rowOffset: chunk.rowOffset, scale });
}

/** Per-token loss and log-sum-exp of one chunk (shaders/cross_entropy.wgsl); the logits are left as they are. */
export function crossEntropyForward(rec: Recorder, buffers: CrossEntropyBuffers, chunk: CrossEntropyChunk, threads?: number): void {
  rec.dispatch(
    { shader: 'cross_entropy', constants: { WG: threads ?? crossEntropyThreads(rec), WRITE_GRAD: 0 } },
    [buffers.logits, buffers.labels, buffers.loss, buffers.lse],
    flatWorkgroups(rec, chunk.rows, 1),
    params(chunk, 1),
  );
}

/**
 * Forward and backward in one pass over the chunk: writes loss and lse, then overwrites the logits with
 * dlogits = scale · (softmax − onehot). What training runs: the logits are not needed after their gradient.
 */
export function crossEntropyForwardBackward(
  rec: Recorder,
  buffers: CrossEntropyBuffers,
  chunk: CrossEntropyChunk & { scale: number },
  threads?: number,
): void {
  rec.dispatch(
    { shader: 'cross_entropy', constants: { WG: threads ?? crossEntropyThreads(rec), WRITE_GRAD: 1 } },
    [buffers.logits, buffers.labels, buffers.loss, buffers.lse],
    flatWorkgroups(rec, chunk.rows, 1),
    params(chunk, chunk.scale),
  );
}

/** Overwrites the chunk's logits with scale · (softmax − onehot), from the lse the forward saved. */
export function crossEntropyBackward(
  rec: Recorder,
  buffers: Pick<CrossEntropyBuffers, 'logits' | 'labels' | 'lse'>,
  chunk: CrossEntropyChunk & { scale: number },
): void {
  rec.dispatch(
    { shader: 'cross_entropy_backward', constants: { WG } },
    [buffers.logits, buffers.labels, buffers.lse],
    flatWorkgroups(rec, chunk.rows * chunk.vocab, WG),
    params(chunk, chunk.scale),
  );
}

/** out = [mean loss over unmasked tokens, unmasked count, loss sum] as f32 (shaders/cross_entropy_mean.wgsl). */
export function crossEntropyMean(
  rec: Recorder,
  buffers: { labels: Binding; loss: Binding; out: Binding },
  shape: { tokens: number; vocab: number },
): void {
  rec.dispatch(
    { shader: 'cross_entropy_mean', constants: { WG } },
    [buffers.labels, buffers.loss, buffers.out],
    [1],
    CROSS_ENTROPY_MEAN_PARAMS.pack({ tokens: shape.tokens, vocab: shape.vocab }),
  );
}

/** Tokens that count towards the loss; 1 / this is the `scale` that makes dlogits the gradient of the mean loss. */
export function unmaskedCount(labels: Int32Array, vocab: number): number {
  let count = 0;
  for (const label of labels) if (label >= 0 && label < vocab) count++;
  return count;
}

import type { Binding, Recorder } from '../gpu/recorder';
import { uniformLayout } from '../gpu/uniforms';
import { LabError } from '../errors';
import { flatWorkgroups } from './flatGrid';

const ARGMAX_WG = 256;
// 128 threads × 16 bins × (count + weight) × 4 bytes = 16 KiB of workgroup memory, half the guaranteed 32 KiB.
const SAMPLE_WG = 128;

export const ARGMAX_PARAMS = uniformLayout('argmax', { rows: 'u32', vocab: 'u32' });

export const SAMPLE_TOP_PARAMS = uniformLayout('sample_top', {
  rows: 'u32',
  vocab: 'u32',
  topK: 'u32',
  indexBits: 'u32',
  invTemperature: 'f32',
  topP: 'f32',
});

export interface SamplingOptions {
  /** ≤ 0 means greedy (argmax), as in llama.cpp. */
  temperature: number;
  /** Keep the k most likely tokens; 0 (default) or ≥ vocab keeps all. */
  topK?: number;
  /** Keep the smallest set of most likely tokens with probability mass ≥ topP; 1 (default) keeps all. */
  topP?: number;
}

/** out[r] = index of the largest logit of row r, lowest index on ties (shaders/argmax.wgsl). */
export function argmax(rec: Recorder, buffers: { logits: Binding; out: Binding }, shape: { rows: number; vocab: number }): void {
  rec.dispatch(
    { shader: 'argmax', constants: { WG: ARGMAX_WG } },
    [buffers.logits, buffers.out],
    flatWorkgroups(rec, shape.rows, 1),
    ARGMAX_PARAMS.pack({ rows: shape.rows, vocab: shape.vocab }),
  );
}

/** Bits that hold every token index below `vocab`. */
export function indexBits(vocab: number): number {
  return Math.max(1, Math.ceil(Math.log2(vocab)));
}

/**
 * Samples one token per row: temperature, then top-k, then top-p, renormalise, and pick with the caller's
 * u[r] ∈ [0, 1) (shaders/sample_top.wgsl states the exact semantics; src/kernels/reference/sampling.ts matches
 * them). A temperature ≤ 0 records `argmax` instead and ignores u.
 */
export function sampleTop(
  rec: Recorder,
  buffers: { logits: Binding; u: Binding; out: Binding },
  shape: { rows: number; vocab: number },
  options: SamplingOptions,
): void {
  if (options.temperature <= 0) {
    argmax(rec, buffers, shape);
    return;
  }
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  if (!Number.isInteger(topK) || topK < 0) throw new LabError(`top-k ${topK} must be a whole number ≥ 0`, 'sampling');
  if (!(topP > 0 && topP <= 1)) throw new LabError(`top-p ${topP} must be in (0, 1]`, 'sampling');
  const params = SAMPLE_TOP_PARAMS.pack({
    rows: shape.rows,
    vocab: shape.vocab,
    topK,
    indexBits: indexBits(shape.vocab),
    invTemperature: 1 / options.temperature,
    topP,
  });
  rec.dispatch(
    { shader: 'sample_top', constants: { WG: SAMPLE_WG } },
    [buffers.logits, buffers.u, buffers.out],
    flatWorkgroups(rec, shape.rows, 1),
    params,
  );
}

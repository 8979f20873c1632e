import type { Binding, Recorder } from '../gpu/recorder';
import type { Gpu } from '../gpu/gpu';
import type { TrackedBuffer } from '../gpu/allocator';
import { uniformLayout } from '../gpu/uniforms';
import { LabError } from '../errors';
import { flatWorkgroups } from './flatGrid';

const WG = 256;

/** `direction` is +1 to rotate by the position's angles, −1 to rotate back. */
export const ROPE_PARAMS = uniformLayout('rope', { tokens: 'u32', nHeads: 'u32', headDim: 'u32', nRot: 'u32', direction: 'f32' });

/** "normal": adjacent pairs (2i, 2i+1) as Llama and Mistral; "neox": halves (i, i + nRot/2) as Qwen2. */
export type RopeMode = 'normal' | 'neox';

export interface RopeFrequencyOptions {
  /** Rotated dimensions per head (GGUF `rope.dimension_count`; the head dimension for Llama, Mistral, Qwen2). */
  nRot: number;
  /** GGUF `rope.freq_base` (10000 for Llama 2, 1000000 for Qwen2). */
  freqBase: number;
  /** Linear scaling: 1 / factor (GGUF `rope.scaling.factor`), so positions act as position / factor. Default 1. */
  freqScale?: number;
}

/** invFreq[i] = freqScale · freqBase^(−2i/nRot) for i < nRot/2, computed in f64 and rounded once to f32. */
export function ropeInverseFrequencies(options: RopeFrequencyOptions): Float32Array {
  const { nRot, freqBase } = options;
  if (!Number.isInteger(nRot) || nRot < 2 || nRot % 2 !== 0) {
    throw new LabError(
      `rope dimension count ${nRot} must be a positive even integer`,
      'rope',
      'Check rope.dimension_count in the model metadata.',
    );
  }
  const scale = options.freqScale ?? 1;
  return Float32Array.from({ length: nRot / 2 }, (_, i) => scale * freqBase ** ((-2 * i) / nRot));
}

/** The inverse-frequency table on the GPU; build it once per model and pass it to every `rope` call. */
export function uploadRopeFrequencies(gpu: Gpu, options: RopeFrequencyOptions): TrackedBuffer {
  return gpu.upload(ropeInverseFrequencies(options), { label: 'rope inverse frequencies', category: 'weights' });
}

export interface RopeShape {
  tokens: number;
  nHeads: number;
  headDim: number;
  nRot: number;
  mode: RopeMode;
}

/**
 * Rotates x [tokens, nHeads, headDim] in place by each token's position (shaders/rope.wgsl). Run it on Q with
 * nHeads and on K with nKvHeads. `inverse` rotates back: the backward pass (dx = Rᵀ·dy).
 */
export function rope(
  rec: Recorder,
  buffers: { x: Binding; positions: Binding; invFreq: Binding },
  shape: RopeShape & { inverse?: boolean },
): void {
  if (shape.nRot > shape.headDim || shape.nRot % 2 !== 0) {
    throw new LabError(`rope dimension count ${shape.nRot} must be even and at most the head dimension ${shape.headDim}`, 'rope');
  }
  const params = ROPE_PARAMS.pack({
    tokens: shape.tokens,
    nHeads: shape.nHeads,
    headDim: shape.headDim,
    nRot: shape.nRot,
    direction: shape.inverse ? -1 : 1,
  });
  rec.dispatch(
    { shader: 'rope', constants: { WG, NEOX: shape.mode === 'neox' ? 1 : 0 } },
    [buffers.x, buffers.positions, buffers.invFreq],
    flatWorkgroups(rec, (shape.tokens * shape.nHeads * shape.nRot) / 2, WG),
    params,
  );
}

/** The backward pass of `rope`: dy → dx in place. */
export function ropeBackward(rec: Recorder, buffers: { dy: Binding; positions: Binding; invFreq: Binding }, shape: RopeShape): void {
  rope(rec, { x: buffers.dy, positions: buffers.positions, invFreq: buffers.invFreq }, { ...shape, inverse: true });
}

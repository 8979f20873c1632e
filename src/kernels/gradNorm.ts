import type { Binding, Recorder } from '../gpu/recorder';
import { ceilDiv } from '../gpu/grid';
import { uniformLayout } from '../gpu/uniforms';

const WG = 256;
/** Workgroups per gradient buffer: enough to fill a GPU for a large buffer, few enough that the finish is cheap. */
const MAX_GROUPS_PER_BUFFER = 128;

export const GRAD_NORM_PARAMS = uniformLayout('grad_norm', { n: 'u32', offset: 'u32' });
export const GRAD_NORM_FINISH_PARAMS = uniformLayout('grad_norm_finish', { count: 'u32', maxNorm: 'f32' });

function groupsFor(n: number): number {
  return Math.max(1, Math.min(MAX_GROUPS_PER_BUFFER, ceilDiv(n, WG * 4)));
}

/** Slots the `partials` buffer needs (f32 each) for gradient buffers of these lengths. */
export function gradNormPartialCount(lengths: readonly number[]): number {
  return lengths.reduce((sum, n) => sum + groupsFor(n), 0);
}

/**
 * out[0] = ‖(all gradients)‖₂ and out[1] = min(1, maxNorm / (norm + 1e-6)) — the clip factor `adamw` can read —
 * over several gradient buffers of any lengths (shaders/grad_norm.wgsl, grad_norm_finish.wgsl). `maxNorm` ≤ 0
 * (or absent) gives a factor of 1. Deterministic: fixed reduction order, no atomics.
 */
export function gradNorm(
  rec: Recorder,
  grads: readonly { buffer: Binding; n: number }[],
  scratch: { partials: Binding; out: Binding },
  options: { maxNorm?: number } = {},
): void {
  let offset = 0;
  for (const { buffer, n } of grads) {
    const groups = groupsFor(n);
    rec.dispatch({ shader: 'grad_norm', constants: { WG } }, [buffer, scratch.partials], [groups], GRAD_NORM_PARAMS.pack({ n, offset }));
    offset += groups;
  }
  rec.dispatch(
    { shader: 'grad_norm_finish', constants: { WG } },
    [scratch.partials, scratch.out],
    [1],
    GRAD_NORM_FINISH_PARAMS.pack({ count: offset, maxNorm: options.maxNorm ?? 0 }),
  );
}

import type { Binding, Recorder } from '../gpu/recorder';
import type { ActivationPrecision } from '../gpu/shaderLibrary';
import { uniformLayout } from '../gpu/uniforms';
import { flatWorkgroups } from './flatGrid';

const WG = 256;

export const SWIGLU_PARAMS = uniformLayout(['swiglu', 'swiglu_backward'], { n: 'u32' });

/** out = silu(gate) · up over `n` elements (shaders/swiglu.wgsl). */
export function swiglu(
  rec: Recorder,
  gate: Binding,
  up: Binding,
  out: Binding,
  n: number,
  options: { precision?: ActivationPrecision } = {},
): void {
  rec.dispatch(
    { shader: 'swiglu', constants: { WG }, precision: options.precision },
    [gate, up, out],
    flatWorkgroups(rec, n, WG),
    SWIGLU_PARAMS.pack({ n }),
  );
}

/** dgate, dup from dout (shaders/swiglu_backward.wgsl); gate and up are the forward's inputs. */
export function swigluBackward(
  rec: Recorder,
  buffers: { dout: Binding; gate: Binding; up: Binding; dgate: Binding; dup: Binding },
  n: number,
  options: { precision?: ActivationPrecision } = {},
): void {
  rec.dispatch(
    { shader: 'swiglu_backward', constants: { WG }, precision: options.precision },
    [buffers.dout, buffers.gate, buffers.up, buffers.dgate, buffers.dup],
    flatWorkgroups(rec, n, WG),
    SWIGLU_PARAMS.pack({ n }),
  );
}

import type { Binding, Recorder } from '../gpu/recorder';
import { uniformLayout } from '../gpu/uniforms';
import { flatWorkgroups } from './flatGrid';
import { f16Constant, type StoredPrecision } from './storedValues';

const WG = 256;

export const SWIGLU_PARAMS = uniformLayout(['swiglu', 'swiglu_backward'], { n: 'u32' });

/** out = silu(gate) · up over `n` elements (shaders/swiglu.wgsl); gate and up stored as `gateUp` says (f32 by default). */
export function swiglu(rec: Recorder, gate: Binding, up: Binding, out: Binding, n: number, gateUp: StoredPrecision = 'f32'): void {
  rec.dispatch(
    { shader: 'swiglu', constants: { WG, GATE_UP_F16: f16Constant(gateUp) } },
    [gate, up, out],
    flatWorkgroups(rec, n, WG),
    SWIGLU_PARAMS.pack({ n }),
  );
}

/**
 * dgate, and dup written over dout (shaders/swiglu_backward.wgsl); gate and up are the forward's inputs, stored as
 * `gateUp` says.
 */
export function swigluBackward(
  rec: Recorder,
  buffers: { doutDup: Binding; gate: Binding; up: Binding; dgate: Binding },
  n: number,
  gateUp: StoredPrecision,
): void {
  rec.dispatch(
    { shader: 'swiglu_backward', constants: { WG, GATE_UP_F16: f16Constant(gateUp) } },
    [buffers.doutDup, buffers.gate, buffers.up, buffers.dgate],
    flatWorkgroups(rec, n, WG),
    SWIGLU_PARAMS.pack({ n }),
  );
}

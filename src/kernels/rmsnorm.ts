import type { Binding, Recorder } from '../gpu/recorder';
import type { ActivationPrecision } from '../gpu/shaderLibrary';
import { uniforms } from '../gpu/uniforms';
import { flatWorkgroups } from './flatGrid';

const WG = 256;

export interface RmsNormShape {
  rows: number;
  /** Hidden size: the normalised dimension. */
  n: number;
  precision?: ActivationPrecision;
}

/** y = x / sqrt(mean(x²) + eps) · w per row; saves rstd [rows] for the backward pass (shaders/rmsnorm.wgsl). */
export function rmsNorm(
  rec: Recorder,
  buffers: { x: Binding; w: Binding; y: Binding; rstd: Binding },
  shape: RmsNormShape & { eps: number },
): void {
  rec.dispatch(
    { shader: 'rmsnorm', constants: { WG }, precision: shape.precision },
    [buffers.x, buffers.w, buffers.y, buffers.rstd],
    flatWorkgroups(rec, shape.rows, 1),
    uniforms().u32(shape.rows).u32(shape.n).f32(shape.eps).u32(0).bytes(),
  );
}

/**
 * dx from dy (shaders/rmsnorm_backward.wgsl); `accumulate` adds into dx. With `dw`, also accumulates the weight
 * gradient (shaders/rmsnorm_weight_grad.wgsl) — leave it out when the norm weight is frozen, as under LoRA.
 */
export function rmsNormBackward(
  rec: Recorder,
  buffers: { x: Binding; w: Binding; dy: Binding; rstd: Binding; dx: Binding; dw?: Binding },
  shape: RmsNormShape & { accumulate?: boolean },
): void {
  const params = uniforms().u32(shape.rows).u32(shape.n).bytes();
  rec.dispatch(
    { shader: 'rmsnorm_backward', constants: { WG, ACCUMULATE: shape.accumulate ? 1 : 0 }, precision: shape.precision },
    [buffers.x, buffers.w, buffers.dy, buffers.rstd, buffers.dx],
    flatWorkgroups(rec, shape.rows, 1),
    params,
  );
  if (buffers.dw) {
    rec.dispatch(
      { shader: 'rmsnorm_weight_grad', constants: { WG }, precision: shape.precision },
      [buffers.x, buffers.dy, buffers.rstd, buffers.dw],
      flatWorkgroups(rec, shape.n, WG),
      params,
    );
  }
}

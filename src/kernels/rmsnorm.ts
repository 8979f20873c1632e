import type { Binding, Recorder } from '../gpu/recorder';
import { uniformLayout } from '../gpu/uniforms';
import { flatWorkgroups } from './flatGrid';
import { isCpuAdapter } from './cpuAdapter';

export const RMSNORM_PARAMS = uniformLayout('rmsnorm', { rows: 'u32', n: 'u32', eps: 'f32' });
export const RMSNORM_BACKWARD_PARAMS = uniformLayout(['rmsnorm_backward', 'rmsnorm_weight_grad'], { rows: 'u32', n: 'u32' });

/** Threads per column block of the weight gradient (no reduction between them). */
const WEIGHT_GRAD_WG = 256;

/**
 * Threads per row of the forward and dx kernels, which sum over the row after one barrier (at most 64, the
 * shaders' serial reduction). A GPU gets 32 threads for rows up to 512 values and 64 above (some 16 values per
 * thread at 7B's 4096, all lanes of a warp busy at tiny widths); a CPU adapter one SIMD group of 4, since each
 * invocation there is a SIMD lane and the barrier a switch between them.
 */
export function rmsNormThreads(rec: Recorder, n: number): number {
  if (isCpuAdapter(rec.gpu.info)) return 4;
  return n <= 512 ? 32 : 64;
}

export interface RmsNormShape {
  rows: number;
  /** Hidden size: the normalised dimension. */
  n: number;
  /** Threads per row instead of `rmsNormThreads`' choice (1..64), so tests cover the GPU and CPU shapes. */
  threads?: number;
}

/** y = x / sqrt(mean(x²) + eps) · w per row; saves rstd [rows] for the backward pass (shaders/rmsnorm.wgsl). */
export function rmsNorm(
  rec: Recorder,
  buffers: { x: Binding; w: Binding; y: Binding; rstd: Binding },
  shape: RmsNormShape & { eps: number },
): void {
  rec.dispatch(
    { shader: 'rmsnorm', constants: { WG: shape.threads ?? rmsNormThreads(rec, shape.n) } },
    [buffers.x, buffers.w, buffers.y, buffers.rstd],
    flatWorkgroups(rec, shape.rows, 1),
    RMSNORM_PARAMS.pack({ rows: shape.rows, n: shape.n, eps: shape.eps }),
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
  const params = RMSNORM_BACKWARD_PARAMS.pack({ rows: shape.rows, n: shape.n });
  rec.dispatch(
    {
      shader: 'rmsnorm_backward',
      constants: { WG: shape.threads ?? rmsNormThreads(rec, shape.n), ACCUMULATE: shape.accumulate ? 1 : 0 },
    },
    [buffers.x, buffers.w, buffers.dy, buffers.rstd, buffers.dx],
    flatWorkgroups(rec, shape.rows, 1),
    params,
  );
  if (buffers.dw) {
    rec.dispatch(
      { shader: 'rmsnorm_weight_grad', constants: { WG: WEIGHT_GRAD_WG } },
      [buffers.x, buffers.dy, buffers.rstd, buffers.dw],
      flatWorkgroups(rec, shape.n, WEIGHT_GRAD_WG),
      params,
    );
  }
}

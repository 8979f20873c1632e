import type { Binding, Recorder } from '../gpu/recorder';
import { uniformLayout } from '../gpu/uniforms';
import { LabError } from '../errors';
import { flatWorkgroups } from './flatGrid';

const WG = 256;

export interface AdamWHyperparameters {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export const ADAMW_DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 } as const;

export const ADAMW_PARAMS = uniformLayout('adamw', {
  n: 'u32',
  lr: 'f32',
  beta1: 'f32',
  beta2: 'f32',
  eps: 'f32',
  weightDecay: 'f32',
  bc1: 'f32',
  sqrtBc2: 'f32',
});

/**
 * One AdamW update of `n` parameters (shaders/adamw.wgsl). `step` counts from 1 (the bias corrections use it).
 * With `clipFactor` (gradNorm's `out` buffer), gradients are first scaled by the clip factor the GPU computed.
 * Many small tensors (LoRA A and B of every layer) are best kept back to back in one buffer: one dispatch for all.
 */
export function adamw(
  rec: Recorder,
  buffers: { param: Binding; grad: Binding; m: Binding; v: Binding; clipFactor?: Binding },
  options: AdamWHyperparameters & { n: number; step: number },
): void {
  if (!Number.isInteger(options.step) || options.step < 1) {
    throw new LabError(`optimizer step ${options.step} must be an integer ≥ 1`, 'adamw');
  }
  const beta1 = options.beta1 ?? ADAMW_DEFAULTS.beta1;
  const beta2 = options.beta2 ?? ADAMW_DEFAULTS.beta2;
  const params = ADAMW_PARAMS.pack({
    n: options.n,
    lr: options.lr,
    beta1,
    beta2,
    eps: options.eps ?? ADAMW_DEFAULTS.eps,
    weightDecay: options.weightDecay ?? ADAMW_DEFAULTS.weightDecay,
    bc1: 1 - beta1 ** options.step,
    sqrtBc2: Math.sqrt(1 - beta2 ** options.step),
  });
  const bindings = [buffers.param, buffers.grad, buffers.m, buffers.v];
  if (buffers.clipFactor) bindings.push(buffers.clipFactor);
  rec.dispatch(
    { shader: 'adamw', entryPoint: buffers.clipFactor ? 'step_clipped' : 'step', constants: { WG } },
    bindings,
    flatWorkgroups(rec, options.n, WG),
    params,
  );
}

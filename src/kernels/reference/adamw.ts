import { ADAMW_DEFAULTS, type AdamWHyperparameters } from '../adamw';

/** One AdamW step in f64, updating param, m and v in place (PyTorch's torch.optim.AdamW formulation). */
export function adamwReference(
  state: { param: Float64Array; m: Float64Array; v: Float64Array },
  grad: ArrayLike<number>,
  options: AdamWHyperparameters & { step: number; clip?: number },
): void {
  const beta1 = options.beta1 ?? ADAMW_DEFAULTS.beta1;
  const beta2 = options.beta2 ?? ADAMW_DEFAULTS.beta2;
  const eps = options.eps ?? ADAMW_DEFAULTS.eps;
  const wd = options.weightDecay ?? ADAMW_DEFAULTS.weightDecay;
  const bc1 = 1 - beta1 ** options.step;
  const bc2 = 1 - beta2 ** options.step;
  const clip = options.clip ?? 1;
  for (let i = 0; i < state.param.length; i++) {
    const g = grad[i] * clip;
    state.m[i] = beta1 * state.m[i] + (1 - beta1) * g;
    state.v[i] = beta2 * state.v[i] + (1 - beta2) * g * g;
    state.param[i] =
      state.param[i] * (1 - options.lr * wd) - ((options.lr / bc1) * state.m[i]) / (Math.sqrt(state.v[i]) / Math.sqrt(bc2) + eps);
  }
}

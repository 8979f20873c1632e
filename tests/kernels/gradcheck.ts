import { expect } from 'vitest';
import { randomF32 } from '../../src/util/random';

/**
 * Checks a backward kernel against central finite differences of its forward, along random probe directions:
 * for a scalar loss L(x) and the analytic gradient g = dL/dx, compares g·v with (L(x + εv) − L(x − εv)) / 2ε.
 * Probing a direction (not every coordinate) keeps the check cheap while covering every element of g.
 * `loss` should run the forward kernel on the GPU and reduce its output in f64 on the CPU (e.g. Σ wᵢ·yᵢ with fixed
 * random weights w), so the only f32 rounding is the kernel's own.
 */
export async function expectGradientMatchesFiniteDifferences(options: {
  x: Float32Array;
  grad: Float32Array;
  loss: (x: Float32Array) => Promise<number>;
  seed: number;
  context: string;
  probes?: number;
  eps?: number;
  maxRelativeError?: number;
}): Promise<void> {
  const { x, grad, loss, seed, context } = options;
  const eps = options.eps ?? 1e-2;
  const bound = options.maxRelativeError ?? 1e-3;
  for (let probe = 0; probe < (options.probes ?? 2); probe++) {
    const v = randomF32(x.length, seed * 7919 + probe);
    const plus = new Float32Array(x.length);
    const minus = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      plus[i] = x[i] + eps * v[i];
      minus[i] = x[i] - eps * v[i];
    }
    const numeric = ((await loss(plus)) - (await loss(minus))) / (2 * eps);
    let analytic = 0;
    for (let i = 0; i < x.length; i++) analytic += grad[i] * v[i];
    const relative = Math.abs(numeric - analytic) / Math.max(Math.abs(numeric), Math.abs(analytic), 1e-6);
    expect(relative, `${context} (seed ${seed}, probe ${probe}): finite difference ${numeric}, analytic ${analytic}`).toBeLessThan(bound);
  }
}

/** Σ wᵢ·yᵢ in f64: a scalar loss whose gradient with respect to y is w. */
export function weightedSum(y: ArrayLike<number>, w: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += y[i] * w[i];
  return sum;
}

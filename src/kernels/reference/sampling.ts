import type { SamplingOptions } from '../sampling';

/** Index of the largest value, lowest index on ties; NaN never wins. */
export function argmaxReference(row: ArrayLike<number>): number {
  let best = -1;
  for (let j = 0; j < row.length; j++) {
    if (!Number.isNaN(row[j]) && (best < 0 || row[j] > row[best])) best = j;
  }
  return Math.max(best, 0);
}

/**
 * Steps 1–5 of shaders/sample_top.wgsl: z = f32(logit · f32(1/T)); order by z descending, index ascending; keep
 * the first k; e = exp(z − max z); keep the shortest prefix with Σ e ≥ topP·Z. Returns the nucleus in that order
 * with its unnormalised weights (f64).
 */
export function nucleusReference(row: Float32Array, options: SamplingOptions): { tokens: number[]; weights: number[] } {
  const invT = Math.fround(1 / options.temperature);
  const z = Array.from(row, (l) => Math.fround(l * invT));
  const order = z.map((_, j) => j).sort((a, b) => z[b] - z[a] || a - b);
  const topK = options.topK ?? 0;
  const kept = topK > 0 && topK < row.length ? order.slice(0, topK) : order;
  const weights = kept.map((j) => Math.exp(z[j] - z[order[0]]));
  const topP = options.topP ?? 1;
  let n = kept.length;
  if (topP < 1) {
    const total = weights.reduce((s, v) => s + v, 0);
    let cumulative = 0;
    for (n = 0; n < kept.length;) {
      cumulative += weights[n++];
      if (cumulative >= topP * total) break;
    }
  }
  return { tokens: kept.slice(0, n), weights: weights.slice(0, n) };
}

/** Step 6: the first nucleus token whose running Σ e exceeds u·Z' (the last one if rounding leaves none). */
export function sampleTopReference(row: Float32Array, options: SamplingOptions, u: number): number {
  if (options.temperature <= 0) return argmaxReference(row);
  const { tokens, weights } = nucleusReference(row, options);
  const target = u * weights.reduce((s, v) => s + v, 0);
  let cumulative = 0;
  for (let i = 0; i < tokens.length; i++) {
    cumulative += weights[i];
    if (cumulative > target) return tokens[i];
  }
  return tokens[tokens.length - 1];
}

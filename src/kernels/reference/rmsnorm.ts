/** y = x · rstd · w per row of n, rstd = 1 / sqrt(mean(x²) + eps), in f64. */
export function rmsNormReference(
  x: Float32Array,
  w: Float32Array,
  rows: number,
  n: number,
  eps: number,
): { y: Float32Array; rstd: Float32Array } {
  const y = new Float32Array(rows * n);
  const rstd = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += x[r * n + j] ** 2;
    const s = 1 / Math.sqrt(sum / n + eps);
    rstd[r] = s;
    for (let j = 0; j < n; j++) y[r * n + j] = x[r * n + j] * s * w[j];
  }
  return { y, rstd };
}

/** dx (plus dx0 when given) and dw (plus dw0) of the forward above, recomputing rstd in f64. */
export function rmsNormBackwardReference(
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  rows: number,
  n: number,
  eps: number,
  initial: { dx0?: Float32Array; dw0?: Float32Array } = {},
): { dx: Float32Array; dw: Float32Array } {
  const dx = new Float32Array(rows * n);
  const dw = new Float64Array(n);
  if (initial.dw0) dw.set(initial.dw0);
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    let dot = 0;
    for (let j = 0; j < n; j++) {
      sq += x[r * n + j] ** 2;
      dot += dy[r * n + j] * w[j] * x[r * n + j];
    }
    const s = 1 / Math.sqrt(sq / n + eps);
    for (let j = 0; j < n; j++) {
      const i = r * n + j;
      dx[i] = s * (dy[i] * w[j] - (x[i] * s * s * dot) / n) + (initial.dx0 ? initial.dx0[i] : 0);
      dw[j] += dy[i] * x[i] * s;
    }
  }
  return { dx, dw: Float32Array.from(dw) };
}

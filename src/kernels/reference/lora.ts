import type { LoraShape } from '../lora';

/** h = x·Aᵀ and y = y0 + scale·h·Bᵀ, in f64. */
export function loraForwardReference(
  x: Float32Array,
  a: Float32Array,
  b: Float32Array,
  y0: Float32Array,
  shape: LoraShape,
): { h: Float32Array; y: Float32Array } {
  const { tokens: M, inFeatures: K, outFeatures: N, rank: r, scale } = shape;
  const h = new Float64Array(M * r);
  for (let m = 0; m < M; m++) {
    for (let j = 0; j < r; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x[m * K + k] * a[j * K + k];
      h[m * r + j] = s;
    }
  }
  const y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let j = 0; j < r; j++) s += h[m * r + j] * b[n * r + j];
      y[m * N + n] = y0[m * N + n] + scale * s;
    }
  }
  return { h: Float32Array.from(h), y };
}

/** dx = dx0 + scale·dy·B·A, dA = dA0 + scale·(dy·B)ᵀ·x, dB = dB0 + scale·dyᵀ·(x·Aᵀ), in f64. */
export function loraBackwardReference(
  x: Float32Array,
  a: Float32Array,
  b: Float32Array,
  dy: Float32Array,
  shape: LoraShape,
  initial: { dx0: Float32Array; da0: Float32Array; db0: Float32Array },
): { dx: Float32Array; da: Float32Array; db: Float32Array } {
  const { tokens: M, inFeatures: K, outFeatures: N, rank: r, scale } = shape;
  const h = loraForwardReference(x, a, b, new Float32Array(M * N), shape).h;
  const dh = new Float64Array(M * r);
  for (let m = 0; m < M; m++) {
    for (let j = 0; j < r; j++) {
      let s = 0;
      for (let n = 0; n < N; n++) s += dy[m * N + n] * b[n * r + j];
      dh[m * r + j] = scale * s;
    }
  }
  const dx = Float64Array.from(initial.dx0);
  const da = Float64Array.from(initial.da0);
  const db = Float64Array.from(initial.db0);
  for (let m = 0; m < M; m++) {
    for (let j = 0; j < r; j++) {
      for (let k = 0; k < K; k++) {
        dx[m * K + k] += dh[m * r + j] * a[j * K + k];
        da[j * K + k] += dh[m * r + j] * x[m * K + k];
      }
      for (let n = 0; n < N; n++) db[n * r + j] += scale * dy[m * N + n] * h[m * r + j];
    }
  }
  return { dx: Float32Array.from(dx), da: Float32Array.from(da), db: Float32Array.from(db) };
}

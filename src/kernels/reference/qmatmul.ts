import { dequantize } from '../../formats/quant';
import type { QuantFormat } from '../quantWeight';

/** W [N, K] as f32, decoded by the reference decoder of src/formats/quant (what the kernels must reproduce bit for bit). */
export function dequantizeWeight(format: QuantFormat, bytes: Uint8Array, N: number, K: number): Float32Array {
  return dequantize(format, bytes, N * K);
}

/** Y[M, N] = X[M, K] · Wᵀ (+ Y0 when given), W [N, K] already decoded; f64 accumulation. */
export function quantizedMatmulReference(
  x: Float32Array,
  w: Float32Array,
  M: number,
  N: number,
  K: number,
  y0?: Float32Array,
): Float32Array {
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += x[m * K + k] * w[n * K + k];
      out[m * N + n] = sum + (y0 ? y0[m * N + n] : 0);
    }
  }
  return out;
}

/** dX[M, K] = dY[M, N] · W (+ dX0 when given), W [N, K] already decoded; f64 accumulation. */
export function quantizedMatmulBackwardReference(
  dy: Float32Array,
  w: Float32Array,
  M: number,
  N: number,
  K: number,
  dx0?: Float32Array,
): Float32Array {
  const acc = new Float64Array(M * K);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const g = dy[m * N + n];
      for (let k = 0; k < K; k++) acc[m * K + k] += g * w[n * K + k];
    }
  }
  const out = new Float32Array(M * K);
  for (let i = 0; i < out.length; i++) out[i] = acc[i] + (dx0 ? dx0[i] : 0);
  return out;
}

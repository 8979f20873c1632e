import type { MatmulShape } from '../matmul';

/** C = alpha · op(A) · op(B) (+ C0 when accumulating), per batch, in f64 accumulation for a trustworthy reference. */
export function matmulReference(a: Float32Array, b: Float32Array, shape: MatmulShape, c0?: Float32Array): Float32Array {
  const { M, N, K } = shape;
  const batch = shape.batch ?? 1;
  const alpha = shape.alpha ?? 1;
  const out = new Float32Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    const aBase = z * M * K;
    const bBase = z * K * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const av = shape.transA ? a[aBase + k * M + m] : a[aBase + m * K + k];
          const bv = shape.transB ? b[bBase + n * K + k] : b[bBase + k * N + n];
          sum += av * bv;
        }
        const index = z * M * N + m * N + n;
        out[index] = alpha * sum + (shape.accumulate && c0 ? c0[index] : 0);
      }
    }
  }
  return out;
}

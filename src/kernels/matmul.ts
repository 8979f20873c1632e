import type { Binding, Recorder } from '../gpu/recorder';
import { ceilDiv } from '../gpu/grid';
import { uniforms } from '../gpu/uniforms';

/**
 * C (M×N) = alpha · op(A) · op(B), optionally added into C. op(A) is A, or Aᵀ when `transA` (A stored [K, M]);
 * likewise B. `batch` problems sit back to back in each buffer (strides M·K, K·N, M·N).
 */
export interface MatmulShape {
  M: number;
  N: number;
  K: number;
  batch?: number;
  transA?: boolean;
  transB?: boolean;
  /** C += result instead of C = result (gradient accumulation). */
  accumulate?: boolean;
  alpha?: number;
}

const WG_X = 16;
const WG_Y = 16;
const TN = 4;
const TM = 4;

/** Records the tiled matmul (shaders/matmul.wgsl): 16×16 threads, each computing 4×4 outputs of a 64×64 tile. */
export function matmul(rec: Recorder, a: Binding, b: Binding, c: Binding, shape: MatmulShape): void {
  const { M, N, K } = shape;
  const batch = shape.batch ?? 1;
  const params = uniforms()
    .u32(M)
    .u32(N)
    .u32(K)
    .f32(shape.alpha ?? 1)
    .u32(M * K)
    .u32(K * N)
    .u32(M * N)
    .u32(0)
    .bytes();
  rec.dispatch(
    {
      shader: 'matmul',
      constants: {
        TRANS_A: shape.transA ? 1 : 0,
        TRANS_B: shape.transB ? 1 : 0,
        ACCUMULATE: shape.accumulate ? 1 : 0,
        WG_X,
        WG_Y,
      },
    },
    [a, b, c],
    [ceilDiv(N, WG_X * TN), ceilDiv(M, WG_Y * TM), batch],
    params,
  );
}

/** Records the one-output-per-thread baseline (shaders/matmul_naive.wgsl): C = A · B, no transposes. */
export function matmulNaive(rec: Recorder, a: Binding, b: Binding, c: Binding, shape: { M: number; N: number; K: number }): void {
  const params = uniforms().u32(shape.M).u32(shape.N).u32(shape.K).u32(0).bytes();
  rec.dispatch({ shader: 'matmul_naive' }, [a, b, c], [ceilDiv(shape.N, 16), ceilDiv(shape.M, 16)], params);
}

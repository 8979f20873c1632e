import type { Binding, Recorder } from '../gpu/recorder';
import { ceilDiv } from '../gpu/grid';
import { uniformLayout } from '../gpu/uniforms';
import { isCpuAdapter } from './cpuAdapter';

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

const TN = 4;
const TM = 4;

export const MATMUL_PARAMS = uniformLayout('matmul', {
  M: 'u32',
  N: 'u32',
  K: 'u32',
  alpha: 'f32',
  strideA: 'u32',
  strideB: 'u32',
  strideC: 'u32',
});

export const MATMUL_NAIVE_PARAMS = uniformLayout('matmul_naive', { M: 'u32', N: 'u32', K: 'u32' });

/** Threads of one workgroup along N (x) and M (y); each computes TM×TN = 4×4 outputs of a (4·y)×(4·x) tile. */
export interface MatmulThreads {
  x: number;
  y: number;
}

export type MatmulAdapterKind = 'gpu' | 'cpu';

function threadsToCover(n: number, cap: number): number {
  let t = 1;
  while (t < cap && t * TN < n) t *= 2;
  return t;
}

/**
 * The workgroup shape for a problem: never wider than the output (LoRA's rank-8 sides would leave most of a 64-wide
 * tile idle), at most 16×16 on a GPU. A CPU adapter runs a workgroup as one task whose barriers switch between all
 * its invocations: there 8 threads (8×8 for outputs at least 128 on both sides, where bigger tiles save loads).
 * The bench suite `matmul` times this choice against a fixed 16×16-thread tile on LoRA's shapes.
 */
export function matmulThreads(kind: MatmulAdapterKind, M: number, N: number): MatmulThreads {
  if (kind === 'cpu') {
    if (M >= 128 && N >= 128) return { x: 8, y: 8 };
    const x = threadsToCover(N, 4);
    return { x, y: threadsToCover(M, 8 / x) };
  }
  return { x: threadsToCover(N, 16), y: threadsToCover(M, 16) };
}

/**
 * Records the tiled matmul (shaders/matmul.wgsl): threads.x × threads.y threads (by default `matmulThreads` for the
 * adapter and shape), each computing 4×4 outputs.
 */
export function matmul(rec: Recorder, a: Binding, b: Binding, c: Binding, shape: MatmulShape, threads?: MatmulThreads): void {
  const { M, N, K } = shape;
  const { x: WG_X, y: WG_Y } = threads ?? matmulThreads(isCpuAdapter(rec.gpu.info) ? 'cpu' : 'gpu', M, N);
  const batch = shape.batch ?? 1;
  const params = MATMUL_PARAMS.pack({ M, N, K, alpha: shape.alpha ?? 1, strideA: M * K, strideB: K * N, strideC: M * N });
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
  const params = MATMUL_NAIVE_PARAMS.pack({ M: shape.M, N: shape.N, K: shape.K });
  rec.dispatch({ shader: 'matmul_naive' }, [a, b, c], [ceilDiv(shape.N, 16), ceilDiv(shape.M, 16)], params);
}

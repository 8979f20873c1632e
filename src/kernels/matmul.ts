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

/** Threads of one workgroup along N (x) and M (y). */
export interface MatmulThreads {
  x: number;
  y: number;
}

export type MatmulAdapterKind = 'gpu' | 'cpu';

/**
 * How a product runs: `tiled` (shaders/matmul.wgsl `main`: each thread 4×4 outputs of a (4·y)×(4·x) tile staged in
 * workgroup memory) or `direct` (`direct`: no workgroup memory, no barrier, each thread 8 rows × 4 columns read
 * straight from storage).
 */
export interface MatmulSchedule {
  kind: 'tiled' | 'direct';
  threads: MatmulThreads;
}

const DIRECT_TM = 8;

function threadsToCover(n: number, cap: number): number {
  let t = 1;
  while (t < cap && t * TN < n) t *= 2;
  return t;
}

/**
 * The schedule for a problem on an adapter kind. A GPU gets the tiled kernel, never wider than the output (LoRA's
 * rank-8 sides would leave most of a 64-wide tile idle), at most 16×16 threads. A CPU adapter gets the direct
 * kernel (a barrier there switches between all of a workgroup's invocations, and its caches do what the tile does)
 * with 16 threads, 4 SIMD groups. The bench suite `matmul` times both choices against the alternatives.
 */
export function matmulSchedule(kind: MatmulAdapterKind, M: number, N: number): MatmulSchedule {
  if (kind === 'cpu') {
    const x = threadsToCover(N, 4);
    return { kind: 'direct', threads: { x, y: 16 / x } };
  }
  return { kind: 'tiled', threads: { x: threadsToCover(N, 16), y: threadsToCover(M, 16) } };
}

/**
 * Records C = alpha · op(A) · op(B) (shaders/matmul.wgsl) with `schedule`, by default `matmulSchedule` for the
 * adapter and shape.
 */
export function matmul(rec: Recorder, a: Binding, b: Binding, c: Binding, shape: MatmulShape, schedule?: MatmulSchedule): void {
  const { M, N, K } = shape;
  const { kind, threads } = schedule ?? matmulSchedule(isCpuAdapter(rec.gpu.info) ? 'cpu' : 'gpu', M, N);
  const batch = shape.batch ?? 1;
  const params = MATMUL_PARAMS.pack({ M, N, K, alpha: shape.alpha ?? 1, strideA: M * K, strideB: K * N, strideC: M * N });
  const rowsPerThread = kind === 'direct' ? DIRECT_TM : TM;
  rec.dispatch(
    {
      shader: 'matmul',
      entryPoint: kind === 'direct' ? 'direct' : 'main',
      constants: {
        TRANS_A: shape.transA ? 1 : 0,
        TRANS_B: shape.transB ? 1 : 0,
        ACCUMULATE: shape.accumulate ? 1 : 0,
        WG_X: threads.x,
        WG_Y: threads.y,
      },
    },
    [a, b, c],
    [ceilDiv(N, threads.x * TN), ceilDiv(M, threads.y * rowsPerThread), batch],
    params,
  );
}

/** Records the one-output-per-thread baseline (shaders/matmul_naive.wgsl): C = A · B, no transposes. */
export function matmulNaive(rec: Recorder, a: Binding, b: Binding, c: Binding, shape: { M: number; N: number; K: number }): void {
  const params = MATMUL_NAIVE_PARAMS.pack({ M: shape.M, N: shape.N, K: shape.K });
  rec.dispatch({ shader: 'matmul_naive' }, [a, b, c], [ceilDiv(shape.N, 16), ceilDiv(shape.M, 16)], params);
}

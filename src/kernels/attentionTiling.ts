import type { Recorder } from '../gpu/recorder';
import { isCpuAdapter } from './cpuAdapter';

/**
 * Workgroup shapes of the tiled attention kernels (attention.wgsl, attention_backward_q.wgsl,
 * attention_backward_kv.wgsl): `rows` query (or key) rows per workgroup, each owned by `rowThreads` threads that
 * split the head dims between them.
 */
export interface AttentionRowTiling {
  rowThreads: number;
  rows: number;
}

/** 'gpu': big workgroups that share every staged K/V (or Q/dO) tile; 'cpu': a few SIMD lanes per workgroup. */
export type AttentionTilingKind = 'gpu' | 'cpu';

/** Dims one thread may hold (DT_CAP in the shaders: private arrays need a constant size). */
export const MAX_DIMS_PER_THREAD = 32;

const CPU_ROWS = 4;

export function attentionTilingKind(rec: Recorder, forced?: AttentionTilingKind): AttentionTilingKind {
  return forced ?? (isCpuAdapter(rec.gpu.info) ? 'cpu' : 'gpu');
}

/**
 * On a CPU adapter each workgroup is a task on one core and every barrier switches between all its invocations, so
 * a 256-thread workgroup pays 64 switches per barrier for work a few lanes do alone. There each row gets as few
 * threads as its head dims fit (1 up to 32 dims, 2 up to 64, 4 up to 128) and a workgroup holds 4 rows; fewer
 * invocations per workgroup also compile into smaller pipelines.
 */
function cpuTiling(headDim: number): AttentionRowTiling {
  let rowThreads = 1;
  while (headDim / rowThreads > MAX_DIMS_PER_THREAD || headDim % rowThreads !== 0) rowThreads *= 2;
  return { rowThreads, rows: CPU_ROWS };
}

/** Query-row kernels (forward, dQ): on a GPU 64 rows of 4 threads share each staged key tile. */
export function queryRowTiling(kind: AttentionTilingKind, headDim: number): AttentionRowTiling {
  return kind === 'cpu' ? cpuTiling(headDim) : { rowThreads: 4, rows: 64 };
}

/** Key-row kernel (dK, dV): on a GPU 256 threads, 8 per key row where the head dim allows, else 4. */
export function keyRowTiling(kind: AttentionTilingKind, headDim: number): AttentionRowTiling {
  if (kind === 'cpu') return cpuTiling(headDim);
  const rowThreads = headDim % 8 === 0 ? 8 : 4;
  return { rowThreads, rows: 256 / rowThreads };
}

import type { Binding, Recorder } from '../gpu/recorder';
import type { TrackedBuffer } from '../gpu/allocator';
import type { Gpu } from '../gpu/gpu';
import { matmul } from '../kernels/matmul';
import { MATVEC_MAX_ROWS, quantizedMatmul, quantizedMatmulBackward } from '../kernels/qmatmul';
import { freeQuantizedWeight, type QuantizedWeight } from '../kernels/quantWeight';

/**
 * A plain f32 weight [N rows, K]: F32 tensors of any width (tiny models have widths like 172 that the block
 * kernels, which decode 8 values at a time, do not take) run through the tiled f32 matmul.
 */
export interface DenseWeight {
  kind: 'dense';
  buffer: TrackedBuffer;
  N: number;
  K: number;
  label: string;
}

/**
 * Whether a projection stored as `type` with rows of K values takes the dense f32 path: F32 rows whose width is
 * not a multiple of 8 (the block kernels decode 8 values at a time), such as a tiny model's FFN width of 172.
 */
export function takesDensePath(type: string, K: number): boolean {
  return type === 'F32' && K % 8 !== 0;
}

/** A frozen projection: quantized blocks as stored in the GGUF file, or dense f32. */
export type LinearWeight = QuantizedWeight | DenseWeight;

function isDense(w: LinearWeight): w is DenseWeight {
  return 'kind' in w && w.kind === 'dense';
}

/**
 * Y[M, N] = X[M, K] · Wᵀ (+ Y when accumulating); `matvecScratch` lets the matvec kernel take the adapter's 8-bit
 * dot products (src/kernels/qmatmul.ts `matvecDot`).
 */
export function linear(
  rec: Recorder,
  x: Binding,
  w: LinearWeight,
  y: Binding,
  M: number,
  options: { accumulate?: boolean; matvecScratch?: Binding } = {},
): void {
  const { accumulate, matvecScratch } = options;
  if (isDense(w)) matmul(rec, x, w.buffer, y, { M, N: w.N, K: w.K, transB: true, accumulate });
  else quantizedMatmul(rec, x, w, y, { M, accumulate, activationScratch: matvecScratch });
}

/**
 * Whether `linear` over M rows of w runs the matrix-vector kernel, which can apply an epilogue to its sums
 * (`MatvecEpilogue`): a quantized weight and at most MATVEC_MAX_ROWS rows.
 */
export function takesMatvecEpilogue(w: LinearWeight, M: number): w is QuantizedWeight {
  return !isDense(w) && M <= MATVEC_MAX_ROWS;
}

/** dX[M, K] = dY[M, N] · W (+ dX when accumulating): the gradient through a frozen weight. */
export function linearBackward(rec: Recorder, dy: Binding, w: LinearWeight, dx: Binding, M: number, accumulate = false): void {
  if (isDense(w)) matmul(rec, dy, w.buffer, dx, { M, N: w.K, K: w.N, accumulate });
  else quantizedMatmulBackward(rec, dy, w, dx, { M, accumulate });
}

export function freeLinearWeight(gpu: Gpu, w: LinearWeight): void {
  if (isDense(w)) gpu.buffers.free(w.buffer);
  else freeQuantizedWeight(gpu, w);
}

/** The bytes a weight occupies on the GPU. */
export function linearWeightBytes(w: LinearWeight): number {
  return isDense(w) ? w.buffer.bytes : w.parts.reduce((sum, p) => sum + p.buffer.bytes, 0);
}

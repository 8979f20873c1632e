import type { Binding, Recorder } from '../gpu/recorder';
import { matmul } from './matmul';

/**
 * A LoRA adapter on a linear layer y = x·Wᵀ: y += scale · (x·Aᵀ)·Bᵀ, with A [rank, inFeatures] and
 * B [outFeatures, rank] stored row-major as PEFT saves them (lora_A.weight, lora_B.weight), scale = alpha / rank.
 * Everything is f32, on the tiled matmul (shaders/matmul.wgsl): its transposed operands, alpha and accumulation
 * cover every product, so no LoRA-specific kernel is needed. The scratch products h and dh are cleared and then
 * accumulated into, so the whole adapter uses three matmul pipelines instead of five (each one costs a compile).
 */
export interface LoraShape {
  /** M: rows of x (tokens). */
  tokens: number;
  /** K: columns of x. */
  inFeatures: number;
  /** N: columns of y. */
  outFeatures: number;
  rank: number;
  /** alpha / rank. */
  scale: number;
}

/**
 * h = x·Aᵀ [tokens, rank] (kept for the backward pass), then y += scale·h·Bᵀ [tokens, outFeatures], adding the
 * adapter's output onto the frozen base layer's.
 */
export function loraForward(
  rec: Recorder,
  buffers: { x: Binding; a: Binding; b: Binding; h: Binding; y: Binding },
  shape: LoraShape,
): void {
  const { tokens: M, inFeatures: K, outFeatures: N, rank: r } = shape;
  clearBinding(rec, buffers.h, M * r * 4);
  matmul(rec, buffers.x, buffers.a, buffers.h, { M, N: r, K, transB: true, accumulate: true });
  matmul(rec, buffers.h, buffers.b, buffers.y, { M, N, K: r, transB: true, accumulate: true, alpha: shape.scale });
}

/**
 * The adapter's backward pass from dy [tokens, outFeatures]:
 *   dB += scale·dyᵀ·h           [outFeatures, rank]
 *   dh  = scale·dy·B            [tokens, rank] (scratch)
 *   dA += dhᵀ·x                 [rank, inFeatures]
 *   dx += dh·A                  [tokens, inFeatures], onto the frozen base layer's share; skip with no `dx`
 * dA and dB always accumulate (gradient accumulation over micro-batches): clear them when a step starts.
 */
export function loraBackward(
  rec: Recorder,
  buffers: { x: Binding; a: Binding; b: Binding; h: Binding; dy: Binding; dh: Binding; da: Binding; db: Binding; dx?: Binding },
  shape: LoraShape,
): void {
  const { tokens: M, inFeatures: K, outFeatures: N, rank: r, scale } = shape;
  matmul(rec, buffers.dy, buffers.h, buffers.db, { M: N, N: r, K: M, transA: true, accumulate: true, alpha: scale });
  clearBinding(rec, buffers.dh, M * r * 4);
  matmul(rec, buffers.dy, buffers.b, buffers.dh, { M, N: r, K: N, accumulate: true, alpha: scale });
  matmul(rec, buffers.dh, buffers.x, buffers.da, { M: r, N: K, K: M, transA: true, accumulate: true });
  if (buffers.dx) matmul(rec, buffers.dh, buffers.a, buffers.dx, { M, N: K, K: r, accumulate: true });
}

function clearBinding(rec: Recorder, binding: Binding, bytes: number): void {
  if ('range' in binding) rec.clear(binding.buffer, binding.offset ?? 0, bytes);
  else rec.clear(binding, 0, bytes);
}

import type { Gpu } from '../../gpu/gpu';
import type { TrackedBuffer, MemoryCategory } from '../../gpu/allocator';
import type { ModelConfig } from '../config';
import type { Projection } from '../tensorNames';
import { projectionShape } from '../lora/lora';
import type { BlockActivations, BlockGradients } from '../block';

/** One micro-batch: `batch` packed rows of `seqLen` tokens (T = batch·seqLen), the loss computed `lossChunkRows` rows at a time. */
export interface TrainingShape {
  batch: number;
  seqLen: number;
  /** Rows of logits materialised at once; a multiple of 64 so every chunk's rows start on a 256-byte boundary. */
  lossChunkRows: number;
}

/**
 * Every buffer a training step uses besides the weights and the adapter's parameters, gradients and moments.
 * Gradient checkpointing: only each layer's input is kept for the whole step (`checkpoints`); the rest is the
 * working set of one block (block.ts: its activations but input and output, which are checkpoints, and the
 * gradients flowing through it), recomputed during the backward pass.
 * Shapes: T tokens, D = nEmbd, H heads, r = rank, V = nVocab.
 */
export interface TrainingBuffers extends Omit<BlockActivations, 'x' | 'out'>, BlockGradients {
  /** Inputs [T] u32 (labels i32): token ids, RoPE positions, first position of each token's packed sequence. */
  ids: TrackedBuffer;
  positions: TrackedBuffer;
  segStart: TrackedBuffer;
  labels: TrackedBuffer;
  /** Per-token loss and log-sum-exp [T]; [mean, count, sum] of the micro-batch. */
  tokenLoss: TrackedBuffer;
  tokenLse: TrackedBuffer;
  lossOut: TrackedBuffer;
  /** Residual stream entering layer l ([T, D] each, nLayers + 1 of them: the last is the final norm's input). */
  checkpoints: TrackedBuffer[];
  /** The attention's log-sum-exp [batch, H, seqLen]. */
  lse: TrackedBuffer;
  /** x·Aᵀ [T, r] of each targeted projection. */
  loraH: Partial<Record<Projection, TrackedBuffer>>;
  /**
   * With LoRA dropout only: [T, widest adapter input] holding dropout(x) of the projection being computed, then
   * (backward) the adapter's share of dL/d dropout(x) before it goes back through the mask.
   */
  loraX?: TrackedBuffer;
  /** The adapter's scratch dh [T, r]. */
  dh: TrackedBuffer;
  /** The final norm's output [T, D] and 1/rms [T]: apart from the layer's, so the last layer needs no recompute. */
  xf: TrackedBuffer;
  rstdF: TrackedBuffer;
  /** Logits of one chunk of rows [lossChunkRows, V], overwritten with their gradient. */
  logits: TrackedBuffer;
}

/** Bytes of each part of the training buffers, by what the memory planner reports. */
export interface TrainingBufferBytes {
  checkpoints: number;
  workingSet: number;
  logitsChunk: number;
  inputs: number;
}

function floatCounts(c: ModelConfig, shape: TrainingShape, rank: number, targets: readonly Projection[], dropout: number) {
  const T = shape.batch * shape.seqLen;
  const widestInput = Math.max(...targets.map((p) => projectionShape(c, p).inFeatures));
  const D = c.nEmbd;
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const F = c.nFf;
  const H = c.nHeads;
  return {
    inputs: { ids: T, positions: T, segStart: T, labels: T, tokenLoss: T, tokenLse: T, lossOut: 4 },
    checkpoint: T * D,
    checkpointCount: c.nLayers + 1,
    working: {
      xn1: T * D,
      rstd1: T,
      q: T * qDim,
      k: T * kvDim,
      v: T * kvDim,
      attn: T * qDim,
      lse: T * H,
      x2: T * D,
      xn2: T * D,
      rstd2: T,
      gate: T * F,
      up: T * F,
      hidden: T * F,
      dx: T * D,
      dxn: T * D,
      dq: T * qDim,
      dk: T * kvDim,
      dv: T * kvDim,
      dattn: T * qDim,
      rowDot: T * H,
      dhidden: T * F,
      dup: T * F,
      dh: T * rank,
      xf: T * D,
      rstdF: T,
    },
    loraH: T * rank * targets.length,
    loraX: dropout > 0 ? T * widestInput : 0,
    logits: Math.min(shape.lossChunkRows, T) * c.nVocab,
  };
}

export function trainingBufferBytes(
  c: ModelConfig,
  shape: TrainingShape,
  rank: number,
  targets: readonly Projection[],
  dropout = 0,
): TrainingBufferBytes {
  const n = floatCounts(c, shape, rank, targets, dropout);
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  return {
    inputs: sum(n.inputs) * 4,
    checkpoints: n.checkpoint * n.checkpointCount * 4,
    workingSet: (sum(n.working) + n.loraH + n.loraX) * 4,
    logitsChunk: n.logits * 4,
  };
}

export function allocateTrainingBuffers(
  gpu: Gpu,
  c: ModelConfig,
  shape: TrainingShape,
  rank: number,
  targets: readonly Projection[],
  /** LoRA dropout probability: above 0 adds `loraX`. */
  dropout = 0,
): TrainingBuffers {
  const n = floatCounts(c, shape, rank, targets, dropout);
  const allocated: TrackedBuffer[] = [];
  const f32 = (label: string, count: number, category: MemoryCategory = 'activations') => {
    const b = gpu.alloc(count * 4, { label: `train ${label}`, category });
    allocated.push(b);
    return b;
  };
  try {
    const inputs = Object.fromEntries(Object.entries(n.inputs).map(([k, v]) => [k, f32(k, v)])) as Record<
      keyof typeof n.inputs,
      TrackedBuffer
    >;
    const working = Object.fromEntries(Object.entries(n.working).map(([k, v]) => [k, f32(k, v)])) as Record<
      keyof typeof n.working,
      TrackedBuffer
    >;
    const loraH: Partial<Record<Projection, TrackedBuffer>> = {};
    for (const p of targets) loraH[p] = f32(`lora h ${p}`, shape.batch * shape.seqLen * rank);
    return {
      ...inputs,
      ...working,
      loraH,
      ...(n.loraX > 0 ? { loraX: f32('lora dropout x', n.loraX) } : {}),
      checkpoints: Array.from({ length: n.checkpointCount }, (_, l) => f32(`checkpoint ${l}`, n.checkpoint)),
      logits: f32('logits chunk', n.logits, 'logits'),
    };
  } catch (error) {
    for (const b of allocated) gpu.buffers.free(b);
    throw error;
  }
}

export function freeTrainingBuffers(gpu: Gpu, b: TrainingBuffers): void {
  for (const value of Object.values(b)) {
    if (Array.isArray(value)) for (const t of value) gpu.buffers.free(t);
    else if ('category' in value) gpu.buffers.free(value as TrackedBuffer);
    else for (const t of Object.values(value as Record<string, TrackedBuffer>)) gpu.buffers.free(t);
  }
}

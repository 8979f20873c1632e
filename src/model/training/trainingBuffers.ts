import type { Gpu } from '../../gpu/gpu';
import type { TrackedBuffer, MemoryCategory } from '../../gpu/allocator';
import type { ModelConfig } from '../config';
import type { Projection } from '../tensorNames';
import { projectionShape } from '../lora/lora';
import type { BlockActivations, BlockGradients } from '../block';
import { DEFAULT_STORED_PRECISION, storedBytes, type StoredPrecision } from '../../kernels/storedValues';

/** One micro-batch: `batch` packed rows of `seqLen` tokens (T = batch·seqLen), the loss computed `lossChunkRows` rows at a time. */
export interface TrainingShape {
  batch: number;
  seqLen: number;
  /** Rows of logits materialised at once; a multiple of 64 so every chunk's rows start on a 256-byte boundary. */
  lossChunkRows: number;
  /**
   * How the tensors kept for the backward pass are stored — the layer checkpoints, and the FFN's gate and up —:
   * f16 pairs (the default: half the bytes) or f32. Arithmetic is f32 either way.
   */
  savedPrecision?: StoredPrecision;
}

/**
 * Every buffer a training step uses besides the weights and the adapter's parameters, gradients and moments.
 * Gradient checkpointing: only each layer's input is kept for the whole step (`checkpoints`); the rest is the
 * working set of one block (block.ts: its activations but input and output, which are checkpoints, and the
 * gradients flowing through it), recomputed during the backward pass. The checkpoints, gate and up are stored in
 * `savedPrecision`; everything else is f32.
 * Shapes: T tokens, D = nEmbd, H heads, F = nFf, r = rank, V = nVocab.
 */
export interface TrainingBuffers extends Omit<BlockActivations, 'x' | 'out'>, BlockGradients {
  savedPrecision: StoredPrecision;
  /** Inputs [T] u32 (labels i32): token ids, RoPE positions, first position of each token's packed sequence. */
  ids: TrackedBuffer;
  positions: TrackedBuffer;
  segStart: TrackedBuffer;
  labels: TrackedBuffer;
  /** Per-token loss and log-sum-exp [T]; [mean, count, sum] of the micro-batch. */
  tokenLoss: TrackedBuffer;
  tokenLse: TrackedBuffer;
  lossOut: TrackedBuffer;
  /** Residual stream entering layer l ([T, D] each, stored; nLayers + 1 of them: the last is the final norm's input). */
  checkpoints: TrackedBuffer[];
  /**
   * With f16-pair checkpoints only: [T, D] f32, the checkpoint the layer being run reads, unpacked (and, in the first
   * forward pass, the layer's output before it is stored as the next checkpoint).
   */
  layerInput?: TrackedBuffer;
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

/** Bytes of every buffer, by name: f32 unless stored in the saved precision. */
function bufferBytes(c: ModelConfig, shape: TrainingShape, rank: number, targets: readonly Projection[], dropout: number) {
  const T = shape.batch * shape.seqLen;
  const precision = shape.savedPrecision ?? DEFAULT_STORED_PRECISION;
  const widestInput = Math.max(...targets.map((p) => projectionShape(c, p).inFeatures));
  const D = c.nEmbd;
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const F = c.nFf;
  const H = c.nHeads;
  const f32 = <K extends string>(floats: Record<K, number>) =>
    Object.fromEntries(Object.entries<number>(floats).map(([k, v]) => [k, v * 4])) as Record<K, number>;
  return {
    precision,
    inputs: f32({ ids: T, positions: T, segStart: T, labels: T, tokenLoss: T, tokenLse: T, lossOut: 4 }),
    checkpoint: storedBytes(T * D, precision),
    checkpointCount: c.nLayers + 1,
    working: {
      ...f32({
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
        hidden: T * F,
        dx: T * D,
        dxn: T * D,
        dq: T * qDim,
        dk: T * kvDim,
        dv: T * kvDim,
        dattn: T * qDim,
        rowDot: T * H,
        dhidden: T * F,
        dh: T * rank,
        xf: T * D,
        rstdF: T,
      }),
      gate: storedBytes(T * F, precision),
      up: storedBytes(T * F, precision),
    },
    layerInput: precision === 'f32' ? 0 : T * D * 4,
    loraH: T * rank * 4,
    loraHCount: targets.length,
    loraX: dropout > 0 ? T * widestInput * 4 : 0,
    logits: Math.min(shape.lossChunkRows, T) * c.nVocab * 4,
  };
}

export function trainingBufferBytes(
  c: ModelConfig,
  shape: TrainingShape,
  rank: number,
  targets: readonly Projection[],
  dropout = 0,
): TrainingBufferBytes {
  const n = bufferBytes(c, shape, rank, targets, dropout);
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  return {
    inputs: sum(n.inputs),
    checkpoints: n.checkpoint * n.checkpointCount,
    workingSet: sum(n.working) + n.layerInput + n.loraH * n.loraHCount + n.loraX,
    logitsChunk: n.logits,
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
  const n = bufferBytes(c, shape, rank, targets, dropout);
  const allocated: TrackedBuffer[] = [];
  const alloc = (label: string, bytes: number, category: MemoryCategory = 'activations') => {
    const b = gpu.alloc(bytes, { label: `train ${label}`, category });
    allocated.push(b);
    return b;
  };
  try {
    const byName = <K extends string>(bytes: Record<K, number>) =>
      Object.fromEntries(Object.entries<number>(bytes).map(([k, v]) => [k, alloc(k, v)])) as Record<K, TrackedBuffer>;
    const inputs = byName(n.inputs);
    const working = byName(n.working);
    const loraH: Partial<Record<Projection, TrackedBuffer>> = {};
    for (const p of targets) loraH[p] = alloc(`lora h ${p}`, n.loraH);
    return {
      savedPrecision: n.precision,
      ...inputs,
      ...working,
      loraH,
      ...(n.loraX > 0 ? { loraX: alloc('lora dropout x', n.loraX) } : {}),
      ...(n.layerInput > 0 ? { layerInput: alloc('layer input', n.layerInput) } : {}),
      checkpoints: Array.from({ length: n.checkpointCount }, (_, l) => alloc(`checkpoint ${l}`, n.checkpoint)),
      logits: alloc('logits chunk', n.logits, 'logits'),
    };
  } catch (error) {
    for (const b of allocated) gpu.buffers.free(b);
    throw error;
  }
}

export function freeTrainingBuffers(gpu: Gpu, b: TrainingBuffers): void {
  for (const value of Object.values(b)) {
    if (typeof value === 'string') continue;
    if (Array.isArray(value)) for (const t of value) gpu.buffers.free(t);
    else if ('category' in value) gpu.buffers.free(value as TrackedBuffer);
    else for (const t of Object.values(value as Record<string, TrackedBuffer>)) gpu.buffers.free(t);
  }
}

import { LabError } from '../errors';
import { formatBytes } from '../util/formatBytes';
import type { GpuLimits } from '../gpu/gpu';
import type { ModelConfig } from '../model/config';
import { loraLayout, type LoraConfig } from '../model/lora/lora';
import { trainingBufferBytes } from '../model/training/trainingBuffers';
import { gradNormPartialCount } from '../kernels/gradNorm';
import type { MemoryPlan } from '../model/inferenceMemoryPlan';
import type { TrainConfig } from './config';
import { DEFAULT_STORED_PRECISION, storedBytes, type StoredPrecision } from '../kernels/storedValues';

export interface TrainingPlanOptions {
  /** GPU bytes of the frozen weights as loaded (planInferenceMemory's "weights" item). */
  weightBytes: number;
  /** GPU bytes the loaded Model holds besides its weights (its KV cache and one inference step); 0 if not loaded. */
  modelBufferBytes: number;
  lora: LoraConfig;
  batch: number;
  seqLen: number;
  lossChunkRows: number;
  /** How checkpoints, gate and up are kept for the backward pass (default f16 pairs). */
  savedPrecision?: StoredPrecision;
  /** GPU memory the run may use (WebGPU does not report the device's total). */
  budgetBytes?: number;
}

/**
 * GPU memory of a LoRA training run, item by item, before anything is allocated: the frozen weights, the adapter's
 * parameters with their gradients and AdamW moments, the saved activations (one [T, D] input per layer plus the
 * final norm's: gradient checkpointing), the working set of the one layer being recomputed and differentiated
 * (gate and up stored like the checkpoints), and one chunk of logits. Lists as problems what does not fit the budget or one buffer or binding of the device.
 */
export function planTrainingMemory(
  model: ModelConfig,
  limits: Pick<GpuLimits, 'maxBufferSize' | 'maxStorageBufferBindingSize'>,
  o: TrainingPlanOptions,
): MemoryPlan {
  const T = o.batch * o.seqLen;
  const savedPrecision = o.savedPrecision ?? DEFAULT_STORED_PRECISION;
  const shape = { batch: o.batch, seqLen: o.seqLen, lossChunkRows: o.lossChunkRows, savedPrecision };
  const buffers = trainingBufferBytes(model, shape, o.lora.rank, o.lora.targets, o.lora.dropout);
  const { totalFloats } = loraLayout(model, o.lora);
  const loraBytes = totalFloats * 4;
  const items = [
    { label: 'weights (frozen, as stored)', bytes: o.weightBytes },
    { label: 'model inference buffers', bytes: o.modelBufferBytes },
    {
      label: `LoRA params + grads + AdamW m, v (${(totalFloats / 1e6).toFixed(1)}M floats ×4)`,
      bytes: 4 * loraBytes + gradNormPartialCount([totalFloats]) * 4 + 8,
    },
    { label: `saved activations (${model.nLayers + 1} × [${T}, ${model.nEmbd}], ${savedPrecision})`, bytes: buffers.checkpoints },
    { label: 'recompute working set (one layer + its gradients)', bytes: buffers.workingSet + buffers.inputs },
    { label: `logits chunk (${Math.min(o.lossChunkRows, T)} × ${model.nVocab})`, bytes: buffers.logitsChunk },
  ];
  const totalBytes = items.reduce((sum, i) => sum + i.bytes, 0);
  const problems: string[] = [];
  const largest = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const single: [string, number][] = [
    ['the adapter parameters', loraBytes],
    ['one saved activation', storedBytes(T * model.nEmbd, savedPrecision)],
    ['one FFN activation', T * model.nFf * 4],
    ['the logits chunk', buffers.logitsChunk],
  ];
  for (const [what, bytes] of single) {
    if (bytes > largest)
      problems.push(
        `${what} needs ${formatBytes(bytes)} in one buffer; the device allows ${formatBytes(largest)} (lower the batch, sequence length or loss chunk)`,
      );
  }
  if (o.budgetBytes !== undefined && totalBytes > o.budgetBytes) {
    problems.push(
      `needs ${formatBytes(totalBytes)} of GPU memory but ${formatBytes(o.budgetBytes)} is available (lower the batch or sequence length)`,
    );
  }
  return { context: o.seqLen, stepTokens: T, items, totalBytes, problems };
}

/**
 * The plan of training with `config` on a model loaded with the inference plan `loaded` (Model.memoryPlan: its
 * weights, then its KV cache and step buffers, which stay allocated while training).
 */
export function planTrainingOnLoadedModel(
  model: ModelConfig,
  loaded: MemoryPlan,
  limits: Pick<GpuLimits, 'maxBufferSize' | 'maxStorageBufferBindingSize'>,
  config: Pick<TrainConfig, 'lora' | 'batch' | 'seqLen' | 'lossChunkRows' | 'savedPrecision'>,
  budgetBytes?: number,
): MemoryPlan {
  const weightBytes = loaded.items.find((i) => i.label === 'weights')?.bytes ?? 0;
  return planTrainingMemory(model, limits, {
    weightBytes,
    modelBufferBytes: loaded.totalBytes - weightBytes,
    lora: config.lora,
    batch: config.batch,
    seqLen: config.seqLen,
    lossChunkRows: config.lossChunkRows,
    savedPrecision: config.savedPrecision,
    budgetBytes,
  });
}

/** Refuses a training plan that does not fit, with the numbers. */
export function assertTrainingPlanFits(plan: MemoryPlan): void {
  if (plan.problems.length === 0) return;
  const breakdown = plan.items.map((i) => `${i.label} ${formatBytes(i.bytes)}`).join(', ');
  throw new LabError(
    `training does not fit this GPU: ${plan.problems.join('; ')}`,
    'memory plan',
    `Plan: ${breakdown}; total ${formatBytes(plan.totalBytes)}.`,
  );
}

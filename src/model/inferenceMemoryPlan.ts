import { LabError } from '../errors';
import type { GgufFile } from '../formats/gguf';
import type { GpuLimits } from '../gpu/gpu';
import { formatBytes } from '../util/formatBytes';
import { isQuantFormat, planRowSplit, rowByteLength } from '../kernels/quantWeight';
import { attentionDecodeScratchBytes } from '../kernels/attentionDecode';
import type { ModelConfig } from './config';
import { KvCache } from './kvCache';
import { activationBytes } from './activations';
import { takesDensePath } from './linear';
import { batchKvLayerBytes } from './batchKvCache';
import { batchDecodeBytes, batchStepRows } from './batchMemory';
import { DEFAULT_STORED_PRECISION, storedBytes, type StoredPrecision } from '../kernels/storedValues';
import { layerStacksExtraBytes } from './layerStacks';

export interface MemoryPlanOptions {
  maxContext: number;
  maxStepTokens: number;
  /** GPU memory the user lets the lab use; WebGPU does not report the device's total, so this is optional. */
  budgetBytes?: number;
  /** Sequences decoded together (generateBatch); 1 (default): the model alone, no batch decoder. */
  batch?: number;
  /** Positions each sequence of the batch may reach (≤ maxContext, its default). */
  batchContext?: number;
  /** How the KV caches store keys and values (default f16 pairs). */
  kvPrecision?: StoredPrecision;
}

export interface MemoryPlan {
  context: number;
  stepTokens: number;
  items: { label: string; bytes: number }[];
  totalBytes: number;
  /** Why the plan cannot run on this device; empty when it fits. */
  problems: string[];
}

type PlanLimits = Pick<GpuLimits, 'maxBufferSize' | 'maxStorageBufferBindingSize'>;

/**
 * The GPU bytes a model needs to generate at a given context, from the GGUF header alone, before anything is
 * allocated: weights (as the loader will store them, split where a tensor exceeds a binding), KV cache and
 * the activations of one forward step, and with a batch the batch decoder's KV cache (one sequence per slot) and
 * step buffers. Buffers the device cannot hold are listed as problems.
 */
export function planInferenceMemory(file: GgufFile, config: ModelConfig, limits: PlanLimits, options: MemoryPlanOptions): MemoryPlan {
  const problems: string[] = [];
  const binding = limits.maxStorageBufferBindingSize;
  let weights = 0;
  for (const t of file.tensors) {
    if (t.dims.length === 2 && isQuantFormat(t.type.name)) {
      const [K, N] = t.dims;
      try {
        if (takesDensePath(t.type.name, K)) {
          // Dense f32 path (see weights.ts): one buffer, bound whole.
          weights += N * K * 4;
          if (N * K * 4 > binding)
            problems.push(`tensor "${t.name}" needs a ${formatBytes(N * K * 4)} binding; the device allows ${formatBytes(binding)}`);
        } else {
          // Block layout, split by rows to fit a binding; each part carries 4 bytes of padding.
          const rowBytes = rowByteLength(t.type.name, K, t.name);
          weights += N * rowBytes + 4 * planRowSplit(N, rowBytes, binding, t.name).length;
        }
      } catch (error) {
        problems.push(error instanceof Error ? error.message : String(error));
      }
    } else if (t.dims.length === 2) {
      problems.push(`tensor "${t.name}" is stored as ${t.type.name}, which Lora Lab cannot compute with`);
    } else {
      weights += t.dims.reduce((a, b) => a * b, 1) * 4; // norms and biases are kept as f32
    }
  }
  weights += (config.nRot / 2) * 4; // RoPE inverse frequencies
  weights += layerStacksExtraBytes(file.tensors, config, binding);
  const context = options.maxContext;
  const steps = Math.min(options.maxStepTokens, context);
  const kvPrecision = options.kvPrecision ?? DEFAULT_STORED_PRECISION;
  const kv = KvCache.bytesFor(config, context, kvPrecision);
  const activations =
    activationBytes(config, steps, steps) +
    attentionDecodeScratchBytes({ kvLen: context, nHeads: config.nHeads, nKvHeads: config.nKvHeads, headDim: config.headDim }) +
    config.nEmbd * 4 + // the last row of a step
    8; // sampling input and output
  const perBuffer: [string, number][] = [
    ['one layer of the KV cache', storedBytes(context * config.nKvHeads * config.headDim, kvPrecision)],
    ['the logits of one step', steps * config.nVocab * 4],
    ['the FFN activations of one step', steps * config.nFf * 4],
  ];
  for (const [what, bytes] of perBuffer) {
    if (bytes > Math.min(binding, limits.maxBufferSize)) {
      problems.push(
        `${what} needs ${formatBytes(bytes)} in one buffer; the device allows ${formatBytes(Math.min(binding, limits.maxBufferSize))} (use a shorter context or step)`,
      );
    }
  }
  const items = [
    { label: 'weights', bytes: weights },
    { label: `KV cache (${context} tokens, ${kvPrecision})`, bytes: kv },
    { label: `activations (${steps}-token step)`, bytes: activations },
  ];
  const batch = options.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) problems.push(`a decode batch of ${batch} sequences is not a whole number ≥ 1`);
  else if (batch > 1) {
    const rows = batchStepRows(batch);
    const slotContext = Math.min(options.batchContext ?? context, context);
    const bytes = batchDecodeBytes(config, slotContext, batch, kvPrecision);
    items.push(
      { label: `batch KV cache (${batch} × ${slotContext} tokens, ${kvPrecision})`, bytes: bytes.kvCache },
      { label: `batch decode activations (${rows}-row step)`, bytes: bytes.activations },
    );
    const layerBytes = batchKvLayerBytes(config, slotContext, batch, kvPrecision);
    if (layerBytes > limits.maxBufferSize) {
      problems.push(
        `one layer of the ${batch}-sequence batch KV cache needs ${formatBytes(layerBytes)} in one buffer; the device allows ${formatBytes(limits.maxBufferSize)} (use a smaller batch or a shorter context)`,
      );
    }
    const boundBytes = batchKvLayerBytes(config, slotContext, rows, kvPrecision);
    if (boundBytes > binding) {
      problems.push(
        `a ${rows}-row decode step binds ${formatBytes(boundBytes)} of the batch KV cache; the device allows ${formatBytes(binding)} (use a smaller batch or a shorter context)`,
      );
    }
  }
  const totalBytes = items.reduce((sum, i) => sum + i.bytes, 0);
  if (options.budgetBytes !== undefined && totalBytes > options.budgetBytes) {
    problems.push(`needs ${formatBytes(totalBytes)} of GPU memory but ${formatBytes(options.budgetBytes)} is available`);
  }
  return { context, stepTokens: steps, items, totalBytes, problems };
}

/** One line per item and the total, for the CLI and logs. */
export function describeMemoryPlan(plan: MemoryPlan): string[] {
  const width = Math.max(...plan.items.map((i) => i.label.length), 5);
  return [
    ...plan.items.map((i) => `  ${i.label.padEnd(width)}  ${formatBytes(i.bytes)}`),
    `  ${'total'.padEnd(width)}  ${formatBytes(plan.totalBytes)}`,
    ...plan.problems.map((p) => `  does not fit: ${p}`),
  ];
}

/** Refuses a plan that does not fit, with the numbers, before anything is allocated. `what` names what was planned. */
export function assertPlanFits(plan: MemoryPlan, where: string, what = 'the model'): void {
  if (plan.problems.length > 0) {
    throw new LabError(
      `${what} does not fit this GPU: ${plan.problems.join('; ')}`,
      where,
      `Plan: ${describeMemoryPlan(plan)
        .map((l) => l.trim())
        .join(', ')}.`,
    );
  }
}

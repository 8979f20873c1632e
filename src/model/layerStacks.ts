import { findTensor, type GgufTensorInfo } from '../formats/gguf';
import { isQuantFormat, rowByteLength, stackedLayout, type QuantFormat } from '../kernels/quantWeight';
import { takesStackedQkv } from '../kernels/qmatvecStacked';
import type { ModelConfig } from './config';
import { takesDensePath } from './linear';
import { projectionTensorName, type Projection } from './tensorNames';

/**
 * The projections of a layer that one fused matvec dispatch reads together (src/kernels/qmatvecStacked.ts), and so
 * the loader stores in one buffer where it can: q, k, v (with bias, RoPE and the KV-cache store) and gate, up (with
 * SwiGLU).
 */
export const LAYER_STACKS = { qkv: ['q', 'k', 'v'], gateUp: ['gate', 'up'] } as const satisfies Record<string, readonly Projection[]>;

export type StackName = keyof typeof LAYER_STACKS;

export const STACK_NAMES = Object.keys(LAYER_STACKS) as StackName[];

export interface StackPlan {
  format: QuantFormat;
  K: number;
  rowBytes: number;
  /** Rows of each section, in LAYER_STACKS order. */
  rows: number[];
  /** The stacked buffer's bytes. */
  bytes: number;
}

/**
 * Whether layer l's projections of `stack` are stored stacked, and how: where they are all quantized in one block
 * format with one row length (the kernel's FORMAT is one constant), the stack fits one binding, and for q, k, v
 * the heads suit the qkv epilogue. Undefined: each is stored alone (dense, mixed formats as in Q4_K_M's Q6_K
 * value projections of some layers, or too large). The loader and the memory plan both ask here.
 */
export function planLayerStack(
  tensors: readonly GgufTensorInfo[],
  config: ModelConfig,
  l: number,
  stack: StackName,
  maxBindingBytes: number,
): StackPlan | undefined {
  if (stack === 'qkv' && !takesStackedQkv({ ...config, mode: config.ropeMode })) return undefined;
  const infos = LAYER_STACKS[stack].map((p) => findTensor(tensors, projectionTensorName(l, p)));
  const format = infos[0].type.name;
  const K = infos[0].dims[0];
  if (!isQuantFormat(format) || takesDensePath(format, K)) return undefined;
  if (infos.some((t) => t.type.name !== format || t.dims.length !== 2 || t.dims[0] !== K)) return undefined;
  let rowBytes: number;
  try {
    rowBytes = rowByteLength(format, K, infos[0].name);
  } catch {
    return undefined; // a row length no kernel reads: each tensor's own load or plan reports it
  }
  const rows = infos.map((t) => t.dims[1]);
  const { bytes } = stackedLayout(rowBytes, rows);
  return bytes <= maxBindingBytes ? { format, K, rowBytes, rows, bytes } : undefined;
}

/**
 * The bytes the loader's stacks add to storing each projection alone (N·rowBytes + 4 each, one part as they fit a
 * binding together): the sections' alignment, and the per-layer `ropeBias` tables.
 */
export function layerStacksExtraBytes(tensors: readonly GgufTensorInfo[], config: ModelConfig, maxBindingBytes: number): number {
  let extra = 0;
  for (let l = 0; l < config.nLayers; l++) {
    for (const stack of STACK_NAMES) {
      const plan = planLayerStack(tensors, config, l, stack, maxBindingBytes);
      if (!plan) continue;
      extra += plan.bytes - plan.rows.reduce((sum, N) => sum + N * plan.rowBytes + 4, 0);
      if (stack === 'qkv' && config.qkvBias) extra += ropeBiasFloats(config) * 4;
    }
  }
  return extra;
}

/**
 * Floats of the per-layer table the qkv epilogue reads where q, k, v have biases (Qwen2): the RoPE inverse
 * frequencies [nRot/2], then the biases of q, k and v (`biasAt` = nRot/2). Without biases it reads the model's
 * frequency table itself.
 */
export function ropeBiasFloats(config: ModelConfig): number {
  return config.nRot / 2 + (config.nHeads + 2 * config.nKvHeads) * config.headDim;
}

import { findTensor, type GgufTensorInfo } from '../formats/gguf';
import { isQuantFormat, rowByteLength, stackedLayout, type QuantFormat } from '../kernels/quantWeight';
import { stackedQkvTakesFormats, stackedSwigluTakesFormats, takesStackedQkv } from '../kernels/qmatvecStacked';
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
  K: number;
  /** Each section's rows, format and row bytes, in LAYER_STACKS order. */
  sections: { N: number; format: QuantFormat; rowBytes: number }[];
  /** The stacked buffer's bytes. */
  bytes: number;
}

/**
 * Whether layer l's projections of `stack` are stored stacked, and how: where they are all quantized with one row
 * length, in formats the fused kernel takes together (gate and up: one, `stackedSwigluTakesFormats`; q, k, v:
 * `stackedQkvTakesFormats`, so Q4_K_M's Q6_K value projections stack with their Q4_K q and k), the stack fits one
 * binding, and for q, k, v the heads suit the qkv epilogue. Undefined: each is stored alone (dense, formats the
 * kernel cannot mix, or too large). The loader and the memory plan both ask here.
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
  const K = infos[0].dims[0];
  const formats: QuantFormat[] = [];
  for (const t of infos) {
    const format = t.type.name;
    if (!isQuantFormat(format) || takesDensePath(format, K) || t.dims.length !== 2 || t.dims[0] !== K) return undefined;
    formats.push(format);
  }
  if (!(stack === 'qkv' ? stackedQkvTakesFormats : stackedSwigluTakesFormats)(formats)) return undefined;
  let sections: StackPlan['sections'];
  try {
    sections = infos.map((t, i) => ({ N: t.dims[1], format: formats[i], rowBytes: rowByteLength(formats[i], K, t.name) }));
  } catch {
    return undefined; // a row length no kernel reads: each tensor's own load or plan reports it
  }
  const { bytes } = stackedLayout(sections);
  return bytes <= maxBindingBytes ? { K, sections, bytes } : undefined;
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
      extra += plan.bytes - plan.sections.reduce((sum, { N, rowBytes }) => sum + N * rowBytes + 4, 0);
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

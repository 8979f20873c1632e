import { LabError } from '../../errors';
import { randomF32 } from '../../util/random';
import { ggmlType } from '../ggmlTypes';
import { quantize, type QuantizableType } from '../quant';
import { llamaMetadata, type LlamaHyperparameters } from './llamaMetadata';
import { metaStringArray } from './metadata';
import type { GgufFile } from './types';
import { copyMetadata, type GgufMetaEntry, type GgufTensorToWrite } from './write';

/** A small Llama-/Mistral-/Qwen2-shaped model with seeded random weights, for tests and tools. */
export interface TinyModelSpec {
  architecture: 'llama' | 'qwen2';
  name?: string;
  /** The GGUF whose `tokenizer.*` keys (the whole vocabulary) are copied. */
  vocabulary: GgufFile;
  embeddingLength: number;
  blockCount: number;
  headCount: number;
  headCountKv: number;
  feedForwardLength: number;
  contextLength?: number;
  ropeFreqBase?: number;
  rmsNormEps?: number;
  /** Type of the 2-D weight matrices (attention, FFN). */
  weightType: QuantizableType;
  /** Type of `token_embd` (default: weightType). */
  embeddingType?: QuantizableType;
  /** Type of `output` (default: weightType); ignored when the output head is tied to the embeddings. */
  outputType?: QuantizableType;
  /**
   * llama.cpp's Q4_K_M recipe on top of weightType Q4_K: `output` and, in the layers where llama.cpp spends more
   * bits (the first and last eighth, and every third layer between), `attn_v` and `ffn_down` become Q6_K.
   */
  mix?: 'Q4_K_M';
  /** Qwen2 style: no `output.weight`, the head reuses `token_embd`. Default: true for qwen2, false for llama. */
  tiedEmbeddings?: boolean;
  /** Zero `attn_output` and `ffn_down` so each block adds nothing and hidden states equal the embeddings. */
  identityBlocks?: boolean;
  seed: number;
}

export interface TinyModel {
  metadata: GgufMetaEntry[];
  tensors: GgufTensorToWrite[];
  /** The f32 values each tensor was quantised from (by name), so tests can compare against them. */
  sourceValues: Map<string, Float32Array>;
}

/** A tensor of the plan: its values are generated (from its own seed) only when asked for. */
export interface PlannedTensor {
  name: string;
  dims: number[];
  type: QuantizableType;
  values(): Float32Array;
}

export interface TinyModelPlan {
  metadata: GgufMetaEntry[];
  tensors: PlannedTensor[];
}

const FILE_TYPE: Record<QuantizableType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7, Q4_K: 15, Q6_K: 18 };

/** Builds every tensor in memory: for test-sized models. Tools writing large files stream `planTinyModel`. */
export function buildTinyModel(spec: TinyModelSpec): TinyModel {
  const plan = planTinyModel(spec);
  const sourceValues = new Map<string, Float32Array>();
  const tensors = plan.tensors.map((t) => {
    const values = t.values();
    sourceValues.set(t.name, values);
    return { name: t.name, dims: t.dims, type: t.type, data: quantize(t.type, values) };
  });
  return { metadata: plan.metadata, tensors, sourceValues };
}

/** The metadata and tensor list of a tiny model, each tensor's values generated lazily from the seed. */
export function planTinyModel(spec: TinyModelSpec): TinyModelPlan {
  const vocabSize = metaStringArray(spec.vocabulary, 'tokenizer.ggml.tokens').length;
  const nEmbd = spec.embeddingLength;
  const headDim = nEmbd / spec.headCount;
  if (spec.mix === 'Q4_K_M' && spec.weightType !== 'Q4_K') {
    throw new LabError(`the Q4_K_M mix needs weightType Q4_K, not ${spec.weightType}`, 'tiny model');
  }
  if (!Number.isInteger(headDim) || spec.headCount % spec.headCountKv !== 0) {
    throw new LabError(`heads ${spec.headCount}/${spec.headCountKv} do not divide embedding ${nEmbd}`, 'tiny model');
  }
  const hyper: LlamaHyperparameters = {
    architecture: spec.architecture,
    name: spec.name ?? `tiny-${spec.architecture}`,
    contextLength: spec.contextLength ?? 512,
    embeddingLength: nEmbd,
    blockCount: spec.blockCount,
    feedForwardLength: spec.feedForwardLength,
    headCount: spec.headCount,
    headCountKv: spec.headCountKv,
    rmsNormEps: spec.rmsNormEps ?? 1e-5,
    ropeFreqBase: spec.ropeFreqBase ?? (spec.architecture === 'qwen2' ? 1_000_000 : 10_000),
    vocabSize,
    fileType: FILE_TYPE[spec.weightType],
  };
  const tensors: PlannedTensor[] = [];
  let nextSeed = spec.seed >>> 0;
  const add = (name: string, dims: number[], type: QuantizableType, values: (seed: number) => Float32Array) => {
    if (dims[0] % ggmlType(type).blockElements !== 0) {
      throw new LabError(
        `tensor "${name}" row length ${dims[0]} is not a multiple of the ${type} block size ${ggmlType(type).blockElements}`,
        'tiny model',
        'choose sizes that are multiples of 256 for K-quants, 32 for Q4_0/Q8_0',
      );
    }
    const seed = nextSeed++;
    tensors.push({ name, dims, type, values: () => values(seed) });
  };
  const matrix = (name: string, cols: number, rows: number, type: QuantizableType, zero = false) =>
    add(name, [cols, rows], type, (seed) => (zero ? new Float32Array(cols * rows) : randomF32(cols * rows, seed, 1 / Math.sqrt(cols))));
  const norm = (name: string) =>
    add(name, [nEmbd], 'F32', (seed) => {
      if (spec.identityBlocks) return new Float32Array(nEmbd).fill(1);
      const v = randomF32(nEmbd, seed, 0.1);
      for (let i = 0; i < v.length; i++) v[i] += 1;
      return v;
    });
  const bias = (name: string, n: number) => add(name, [n], 'F32', (seed) => randomF32(n, seed, 0.1));
  const tied = spec.tiedEmbeddings ?? spec.architecture === 'qwen2';
  add('token_embd.weight', [nEmbd, vocabSize], spec.embeddingType ?? spec.weightType, (seed) => randomF32(nEmbd * vocabSize, seed, 1));
  norm('output_norm.weight');
  if (!tied) matrix('output.weight', nEmbd, vocabSize, spec.outputType ?? (spec.mix === 'Q4_K_M' ? 'Q6_K' : spec.weightType));
  const moreBits = (layer: number) => {
    const n = spec.blockCount; // integer divisions, as in llama.cpp's rule
    return layer < Math.floor(n / 8) || layer >= Math.floor((7 * n) / 8) || (layer - Math.floor(n / 8)) % 3 === 2;
  };
  const layerType = (layer: number, role: 'attn_v' | 'ffn_down' | 'other'): QuantizableType =>
    spec.mix === 'Q4_K_M' && role !== 'other' && moreBits(layer) ? 'Q6_K' : spec.weightType;
  const qDim = headDim * spec.headCount;
  const kvDim = headDim * spec.headCountKv;
  for (let i = 0; i < spec.blockCount; i++) {
    const p = `blk.${i}.`;
    norm(`${p}attn_norm.weight`);
    matrix(`${p}attn_q.weight`, nEmbd, qDim, spec.weightType);
    matrix(`${p}attn_k.weight`, nEmbd, kvDim, spec.weightType);
    matrix(`${p}attn_v.weight`, nEmbd, kvDim, layerType(i, 'attn_v'));
    if (spec.architecture === 'qwen2') {
      bias(`${p}attn_q.bias`, qDim);
      bias(`${p}attn_k.bias`, kvDim);
      bias(`${p}attn_v.bias`, kvDim);
    }
    matrix(`${p}attn_output.weight`, qDim, nEmbd, spec.weightType, spec.identityBlocks);
    norm(`${p}ffn_norm.weight`);
    matrix(`${p}ffn_gate.weight`, nEmbd, spec.feedForwardLength, spec.weightType);
    matrix(`${p}ffn_up.weight`, nEmbd, spec.feedForwardLength, spec.weightType);
    matrix(`${p}ffn_down.weight`, spec.feedForwardLength, nEmbd, layerType(i, 'ffn_down'), spec.identityBlocks);
  }
  return { metadata: [...llamaMetadata(hyper), ...copyMetadata(spec.vocabulary)], tensors };
}

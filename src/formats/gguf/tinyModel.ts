import { LabError } from '../../errors';
import { randomF32 } from '../../util/random';
import { ggmlType, type GgmlTypeName } from '../ggmlTypes';
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

const FILE_TYPE: Record<QuantizableType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7, Q4_K: 15, Q6_K: 18 };

export function buildTinyModel(spec: TinyModelSpec): TinyModel {
  const vocabSize = metaStringArray(spec.vocabulary, 'tokenizer.ggml.tokens').length;
  const nEmbd = spec.embeddingLength;
  const headDim = nEmbd / spec.headCount;
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
  const tensors: GgufTensorToWrite[] = [];
  const sourceValues = new Map<string, Float32Array>();
  let seed = spec.seed >>> 0;
  const add = (name: string, dims: number[], type: GgmlTypeName, values: Float32Array) => {
    if (dims[0] % ggmlType(type).blockElements !== 0) {
      throw new LabError(`tensor "${name}" row length ${dims[0]} is not a multiple of the ${type} block size ${ggmlType(type).blockElements}`,
        'tiny model', 'choose sizes that are multiples of 256 for K-quants, 32 for Q4_0/Q8_0');
    }
    sourceValues.set(name, values);
    tensors.push({ name, dims, type, data: quantize(type as QuantizableType, values) });
  };
  const matrix = (name: string, cols: number, rows: number, type: QuantizableType, zero = false) =>
    add(name, [cols, rows], type, zero ? new Float32Array(cols * rows) : randomF32(cols * rows, seed++, 1 / Math.sqrt(cols)));
  const norm = (name: string) => {
    const v = randomF32(nEmbd, seed++, 0.1);
    for (let i = 0; i < v.length; i++) v[i] += 1;
    add(name, [nEmbd], 'F32', spec.identityBlocks ? new Float32Array(nEmbd).fill(1) : v);
  };
  const tied = spec.tiedEmbeddings ?? spec.architecture === 'qwen2';
  add('token_embd.weight', [nEmbd, vocabSize], spec.embeddingType ?? spec.weightType, randomF32(nEmbd * vocabSize, seed++, 1));
  norm('output_norm.weight');
  if (!tied) matrix('output.weight', nEmbd, vocabSize, spec.outputType ?? spec.weightType);
  const qDim = headDim * spec.headCount;
  const kvDim = headDim * spec.headCountKv;
  for (let i = 0; i < spec.blockCount; i++) {
    const p = `blk.${i}.`;
    norm(`${p}attn_norm.weight`);
    matrix(`${p}attn_q.weight`, nEmbd, qDim, spec.weightType);
    matrix(`${p}attn_k.weight`, nEmbd, kvDim, spec.weightType);
    matrix(`${p}attn_v.weight`, nEmbd, kvDim, spec.weightType);
    if (spec.architecture === 'qwen2') {
      add(`${p}attn_q.bias`, [qDim], 'F32', randomF32(qDim, seed++, 0.1));
      add(`${p}attn_k.bias`, [kvDim], 'F32', randomF32(kvDim, seed++, 0.1));
      add(`${p}attn_v.bias`, [kvDim], 'F32', randomF32(kvDim, seed++, 0.1));
    }
    matrix(`${p}attn_output.weight`, qDim, nEmbd, spec.weightType, spec.identityBlocks);
    norm(`${p}ffn_norm.weight`);
    matrix(`${p}ffn_gate.weight`, nEmbd, spec.feedForwardLength, spec.weightType);
    matrix(`${p}ffn_up.weight`, nEmbd, spec.feedForwardLength, spec.weightType);
    matrix(`${p}ffn_down.weight`, spec.feedForwardLength, nEmbd, spec.weightType, spec.identityBlocks);
  }
  return { metadata: [...llamaMetadata(hyper), ...copyMetadata(spec.vocabulary)], tensors, sourceValues };
}

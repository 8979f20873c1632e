import { LabError } from '../errors';
import type { GgufFile } from '../formats/gguf';
import { findTensor, metaNumber, metaString, optMetaNumber, optMetaString } from '../formats/gguf';
import type { RopeMode } from '../kernels/rope';

export type Architecture = 'llama' | 'qwen2';

/** Everything the forward pass needs to know about a model, read from its GGUF metadata and tensor table. */
export interface ModelConfig {
  architecture: Architecture;
  name: string;
  nLayers: number;
  /** Hidden size (embedding length). */
  nEmbd: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** FFN inner width. */
  nFf: number;
  nVocab: number;
  /** Training context length from the metadata: the most positions the model has seen. */
  contextLength: number;
  rmsEps: number;
  ropeMode: RopeMode;
  ropeFreqBase: number;
  /** 1 / linear scaling factor (GGUF `rope.scaling.factor`); 1 without scaling. */
  ropeFreqScale: number;
  /** Rotated dimensions per head. */
  nRot: number;
  /**
   * Sliding-window attention span in tokens, 0 for full causal attention. Always 0 for llama and qwen2: llama.cpp
   * reads `{arch}.attention.sliding_window` only for architectures built around it (Gemma 2/3, Cohere 2, ...) and
   * runs these with full causal attention whatever the file says (its converters never write the key for them),
   * so we do the same and agree with it at every length.
   */
  slidingWindow: number;
  /** The output head reuses `token_embd` (no `output.weight` tensor). */
  tiedEmbeddings: boolean;
  /** q, k and v projections carry biases (Qwen2). */
  qkvBias: boolean;
}

const SUPPORTED: Record<string, Architecture> = { llama: 'llama', qwen2: 'qwen2' };

function positiveInt(file: GgufFile, key: string, value: number | undefined = optMetaNumber(file, key)): number {
  if (value === undefined) return metaNumber(file, key);
  if (!Number.isInteger(value) || value < 1 || value > 1 << 24) {
    throw new LabError(`metadata key "${key}" is ${value}, expected a positive integer`, 'GGUF metadata');
  }
  return value;
}

function hasTensor(file: GgufFile, name: string): boolean {
  return file.tensors.some((t) => t.name === name);
}

/** Reads and checks the hyperparameters; a LabError names the key or tensor that is missing or inconsistent. */
export function modelConfigFromGguf(file: GgufFile): ModelConfig {
  const archName = metaString(file, 'general.architecture');
  const architecture = SUPPORTED[archName];
  if (!architecture) {
    throw new LabError(
      `architecture "${archName}" is not supported`,
      'general.architecture',
      'Lora Lab runs llama-family models (Llama 2/3, Mistral, DeepSeek, ...) and qwen2 (Qwen2, Qwen2.5).',
    );
  }
  const a = archName;
  const nEmbd = positiveInt(file, `${a}.embedding_length`);
  const nHeads = positiveInt(file, `${a}.attention.head_count`);
  const nKvHeads = positiveInt(file, `${a}.attention.head_count_kv`, optMetaNumber(file, `${a}.attention.head_count_kv`) ?? nHeads);
  const headDim = positiveInt(file, `${a}.attention.key_length`, optMetaNumber(file, `${a}.attention.key_length`) ?? nEmbd / nHeads);
  if (nHeads % nKvHeads !== 0) {
    throw new LabError(`${nHeads} attention heads are not a multiple of ${nKvHeads} KV heads`, `${a}.attention.head_count_kv`);
  }
  const nVocab = findTensor(file.tensors, 'token_embd.weight').dims[1] ?? 0;
  const scalingType = optMetaString(file, `${a}.rope.scaling.type`);
  const scalingFactor = optMetaNumber(file, `${a}.rope.scaling.factor`);
  if (scalingType !== undefined && scalingType !== 'none' && scalingType !== 'linear') {
    throw new LabError(
      `rope scaling "${scalingType}" is not supported`,
      `${a}.rope.scaling.type`,
      'Only linear RoPE scaling is implemented.',
    );
  }
  const linear = scalingType === 'linear' || (scalingType === undefined && scalingFactor !== undefined);
  return {
    architecture,
    name: optMetaString(file, 'general.name') ?? archName,
    nLayers: positiveInt(file, `${a}.block_count`),
    nEmbd,
    nHeads,
    nKvHeads,
    headDim,
    nFf: positiveInt(file, `${a}.feed_forward_length`),
    nVocab,
    contextLength: positiveInt(file, `${a}.context_length`),
    rmsEps: metaNumber(file, `${a}.attention.layer_norm_rms_epsilon`),
    ropeMode: architecture === 'qwen2' ? 'neox' : 'normal',
    ropeFreqBase: optMetaNumber(file, `${a}.rope.freq_base`) ?? 10000,
    ropeFreqScale: linear && scalingFactor ? 1 / scalingFactor : 1,
    nRot: optMetaNumber(file, `${a}.rope.dimension_count`) ?? headDim,
    slidingWindow: 0,
    tiedEmbeddings: !hasTensor(file, 'output.weight'),
    qkvBias: hasTensor(file, 'blk.0.attn_q.bias'),
  };
}

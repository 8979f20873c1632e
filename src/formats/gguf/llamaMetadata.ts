import { GgufValueType } from './types';
import type { GgufMetaEntry } from './write';

/** Hyperparameters of a Llama-family decoder (`llama`: Llama 2/3, Mistral, DeepSeek; `qwen2`). */
export interface LlamaHyperparameters {
  architecture: 'llama' | 'qwen2';
  name: string;
  contextLength: number;
  embeddingLength: number;
  blockCount: number;
  feedForwardLength: number;
  headCount: number;
  headCountKv: number;
  rmsNormEps: number;
  ropeFreqBase: number;
  vocabSize: number;
  /** llama.cpp's `general.file_type` (LLAMA_FTYPE_*): 0 all F32, 1 mostly F16, 2 Q4_0, 7 Q8_0, 15 Q4_K_M, 18 Q6_K. */
  fileType?: number;
}

const u32 = { type: GgufValueType.UINT32 } as const;
const f32 = { type: GgufValueType.FLOAT32 } as const;
const str = { type: GgufValueType.STRING } as const;

/**
 * The `general.*` and `{arch}.*` keys llama.cpp reads for these architectures, with the value types its own
 * converter writes (u32 counts, f32 epsilon and rope base).
 */
export function llamaMetadata(h: LlamaHyperparameters): GgufMetaEntry[] {
  const a = h.architecture;
  const entries: GgufMetaEntry[] = [
    { key: 'general.architecture', value: a, type: str },
    { key: 'general.name', value: h.name, type: str },
    { key: `${a}.context_length`, value: h.contextLength, type: u32 },
    { key: `${a}.embedding_length`, value: h.embeddingLength, type: u32 },
    { key: `${a}.block_count`, value: h.blockCount, type: u32 },
    { key: `${a}.feed_forward_length`, value: h.feedForwardLength, type: u32 },
    { key: `${a}.attention.head_count`, value: h.headCount, type: u32 },
    { key: `${a}.attention.head_count_kv`, value: h.headCountKv, type: u32 },
    { key: `${a}.attention.layer_norm_rms_epsilon`, value: h.rmsNormEps, type: f32 },
    { key: `${a}.rope.freq_base`, value: h.ropeFreqBase, type: f32 },
    { key: `${a}.rope.dimension_count`, value: h.embeddingLength / h.headCount, type: u32 },
    { key: `${a}.vocab_size`, value: h.vocabSize, type: u32 },
  ];
  if (h.fileType !== undefined) entries.push({ key: 'general.file_type', value: h.fileType, type: u32 });
  return entries;
}

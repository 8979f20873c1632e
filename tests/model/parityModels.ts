import { openAsBlob, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { llamaCppVocab } from '../../scripts/lib/llamaCppVocab';
import {
  GgufValueType,
  metaArray,
  metaStringArray,
  optMetaNumber,
  planTinyModel,
  readGguf,
  writeGguf,
  type GgufFile,
  type GgufMetaEntry,
  type PlannedTensor,
  type TinyModelSpec,
} from '../../src/formats/gguf';
import { quantize, type QuantizableType } from '../../src/formats/quant';

/**
 * Tiny models for the llama.cpp parity tests, written by our GGUF writer: Llama-, Mistral- and Qwen2-shaped,
 * with real vocabularies and each weight format llama.cpp files use.
 */
export type ParityArch = 'llama' | 'mistral' | 'qwen2';

/** A whole-file format: every 2-D tensor in one type, or the Q4_K_M recipe's mix of Q4_K and Q6_K. */
export type ParityQuant = QuantizableType | 'Q4_K_M';

export const PARITY_QUANTS: readonly ParityQuant[] = ['F32', 'F16', 'Q8_0', 'Q4_0', 'Q4_K', 'Q6_K', 'Q4_K_M'];

/**
 * Tokens kept of each real vocabulary. The output head costs vocabulary × width per position and dominates a
 * tiny model's run time on SwiftShader; the first 4,096 tokens of a real vocabulary are still a real
 * vocabulary (SentencePiece pieces in score order; byte-level BPE tokens with the merges among them).
 */
export const PARITY_VOCAB_SIZE = 4096;

/** Mistral-shaped models declare a sliding window much shorter than the 128-token prompt. */
export const MISTRAL_WINDOW = 16;

interface ArchShape {
  spec: Omit<TinyModelSpec, 'vocabulary' | 'weightType' | 'seed'>;
  vocab: 'llama-spm' | 'qwen2';
  extraMetadata: GgufMetaEntry[];
}

const SHAPES: Record<ParityArch, ArchShape> = {
  // Llama 2/3 style: GQA with 2 query heads per KV head, head dim 64.
  llama: {
    spec: { architecture: 'llama', embeddingLength: 256, blockCount: 2, headCount: 4, headCountKv: 2, feedForwardLength: 512 },
    vocab: 'llama-spm',
    extraMetadata: [],
  },
  // Mistral 7B style: 4 query heads per KV head (head dim 32 here), and a sliding-window key.
  mistral: {
    spec: { architecture: 'llama', embeddingLength: 256, blockCount: 2, headCount: 8, headCountKv: 2, feedForwardLength: 768 },
    vocab: 'llama-spm',
    extraMetadata: [{ key: 'llama.attention.sliding_window', value: MISTRAL_WINDOW, type: { type: GgufValueType.UINT32 } }],
  },
  // Qwen2 style: QKV biases, NeoX RoPE (base 1e6), tied embeddings, head dim 128.
  qwen2: {
    spec: { architecture: 'qwen2', embeddingLength: 256, blockCount: 2, headCount: 2, headCountKv: 1, feedForwardLength: 512 },
    vocab: 'qwen2',
    extraMetadata: [],
  },
};

/**
 * The tensor types llama.cpp's Q4_K_M recipe gives: Q6_K output, Q6_K attn_v/ffn_down in the first layers (where the
 * Q6_K v stacks with the Q4_K q and k, so decode runs the qkv dispatch with a v section in another format).
 */
function q4kmType(name: string, blockCount: number): QuantizableType {
  if (name === 'output.weight') return 'Q6_K';
  const layer = /^blk\.(\d+)\.(attn_v|ffn_down)\.weight$/.exec(name);
  if (layer && Number(layer[1]) < blockCount / 2) return 'Q6_K';
  return 'Q4_K';
}

function tensorType(t: PlannedTensor, quant: ParityQuant, blockCount: number): QuantizableType {
  if (t.dims.length === 1) return 'F32';
  return quant === 'Q4_K_M' ? q4kmType(t.name, blockCount) : quant;
}

const vocabularies = new Map<string, Promise<GgufFile>>();

/** llama.cpp's own vocabulary `name`, cut to its first `size` tokens (see PARITY_VOCAB_SIZE). */
export function parityVocabulary(name: 'llama-spm' | 'qwen2', size = PARITY_VOCAB_SIZE): Promise<GgufFile> {
  const key = `${name}/${size}`;
  let v = vocabularies.get(key);
  if (!v) {
    v = openAsBlob(llamaCppVocab(name))
      .then((blob) => readGguf(blob))
      .then((full) => truncateVocabulary(full, size));
    vocabularies.set(key, v);
  }
  return v;
}

/**
 * A vocabulary-only GGUF with the first `size` tokens of `full`. Byte-level BPE keeps the merges whose parts and
 * result all survive, and moves the special tokens llama.cpp looks for (end of text, chat markers) to the end.
 */
export async function truncateVocabulary(full: GgufFile, size: number): Promise<GgufFile> {
  const tokens = metaStringArray(full, 'tokenizer.ggml.tokens');
  const types = Array.from(metaArray(full, 'tokenizer.ggml.token_type') as ArrayLike<number>);
  const idKeys = ['bos', 'eos', 'padding', 'unknown'].map((k) => `tokenizer.ggml.${k}_token_id`);
  const specialIds = [...new Set(idKeys.map((k) => optMetaNumber(full, k)).filter((id): id is number => id !== undefined && id >= size))];
  const keep = [...Array.from({ length: size - specialIds.length }, (_, i) => i), ...specialIds];
  const newId = new Map(keep.map((old, i) => [old, i]));
  const entries: GgufMetaEntry[] = [];
  for (const [key, value] of full.metadata) {
    if (!key.startsWith('tokenizer.')) continue;
    const type = full.metadataTypes.get(key);
    let v = value;
    if (key === 'tokenizer.ggml.tokens') v = keep.map((i) => tokens[i]);
    else if (key === 'tokenizer.ggml.token_type') v = Int32Array.from(keep, (i) => types[i]);
    else if (key === 'tokenizer.ggml.scores') v = Float32Array.from(keep, (i) => (metaArray(full, key) as ArrayLike<number>)[i]);
    else if (key === 'tokenizer.ggml.merges') {
      const kept = new Set(keep.map((i) => tokens[i]));
      v = metaStringArray(full, key).filter((m) => {
        const [left, right] = m.split(' ');
        return kept.has(left) && kept.has(right) && kept.has(left + right);
      });
    } else if (idKeys.includes(key)) v = newId.get(value as number) ?? (value as number);
    entries.push({ key, value: v, type });
  }
  const blob = writeGguf([{ key: 'general.architecture', value: 'llama' }, ...entries], []);
  return readGguf(blob, { name: `${full.metadata.get('general.name')}-${size}` });
}

/**
 * The tiny-model builder draws embeddings in [-1, 1): as a tied output head (Qwen2) that gives logits with a
 * standard deviation near 9, so one token takes all the probability and the comparison sees nothing. Scaled to
 * [-0.16, 0.16) the tied logits spread like a trained model's (std ≈ 1.5).
 */
const TIED_EMBEDDING_SCALE = 0.16;

function scaleInPlace(values: Float32Array, scale: number): void {
  for (let i = 0; i < values.length; i++) values[i] *= scale;
}

export interface ParityModel {
  path: string;
  arch: ParityArch;
  quant: ParityQuant;
  /** Tensor count by type, for the report. */
  types: Record<string, number>;
}

/** Writes the `arch`-shaped model in format `quant` (weights from `seed`) under `dir`. */
export async function writeParityModel(dir: string, arch: ParityArch, quant: ParityQuant, seed: number): Promise<ParityModel> {
  const shape = SHAPES[arch];
  const vocabulary = await parityVocabulary(shape.vocab);
  const plan = planTinyModel({
    ...shape.spec,
    vocabulary,
    weightType: quant === 'Q4_K_M' ? 'Q4_K' : quant,
    name: `parity-${arch}-${quant}`,
    seed,
  });
  const types: Record<string, number> = {};
  const tensors = plan.tensors.map((t) => {
    const type = tensorType(t, quant, shape.spec.blockCount);
    types[type] = (types[type] ?? 0) + 1;
    const values = t.values();
    if (t.name === 'token_embd.weight' && arch === 'qwen2') scaleInPlace(values, TIED_EMBEDDING_SCALE);
    return { name: t.name, dims: t.dims, type, data: quantize(type, values) };
  });
  const path = join(dir, `parity-${arch}-${quant}-${seed}.gguf`);
  const blob = writeGguf([...plan.metadata, ...shape.extraMetadata], tensors);
  writeFileSync(path, new Uint8Array(await blob.arrayBuffer()));
  return { path, arch, quant, types };
}

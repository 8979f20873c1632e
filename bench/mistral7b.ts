import { planTinyModel, tensorBytes } from '../src/formats/gguf';
import { vocabulary } from './suites/train';
import type { ModelConfig } from '../src/model/config';

/** Mistral-7B's shape, as its GGUF header gives it. */
export const MISTRAL_7B: ModelConfig = {
  architecture: 'llama',
  name: 'Mistral-7B',
  nLayers: 32,
  nEmbd: 4096,
  nHeads: 32,
  nKvHeads: 8,
  headDim: 128,
  nFf: 14336,
  nVocab: 32000,
  contextLength: 32768,
  rmsEps: 1e-5,
  ropeMode: 'normal',
  ropeFreqBase: 10000,
  ropeFreqScale: 1,
  nRot: 128,
  slidingWindow: 4096,
  tiedEmbeddings: false,
  qkvBias: false,
};

/** Bytes of Mistral-7B's tensors in llama.cpp's Q4_K_M mix (Q4_K, with Q6_K for output and some attn_v/ffn_down). */
export function mistralQ4KMBytes(): number {
  const plan = planTinyModel({
    architecture: 'llama',
    // Only the token count matters for the tensor shapes.
    vocabulary: vocabulary(32000),
    embeddingLength: 4096,
    blockCount: 32,
    headCount: 32,
    headCountKv: 8,
    feedForwardLength: 14336,
    weightType: 'Q4_K',
    mix: 'Q4_K_M',
    seed: 0,
  });
  return plan.tensors.reduce((sum, t) => sum + (t.dims.length === 2 ? tensorBytes(t.dims, t.type) : t.dims[0] * 4), 0);
}

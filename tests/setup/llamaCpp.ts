import { getLlama, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import type { StoredPrecision } from '../../src/kernels/storedValues';

let llama: Promise<Llama> | undefined;

/**
 * llama.cpp on the CPU through node-llama-cpp (version pinned in package.json): the reference implementation.
 * Contexts keep the KV cache as the comparison says: F16 (llama.cpp's default, against our default f16 pairs) or
 * F32 (against our f32 cache: both sides compute attention in f32 and differ only by summation order). They use the
 * plain attention path (its CPU flash attention rounds Q to F16).
 */
export async function loadLlamaCppModel(modelPath: string): Promise<LlamaModel> {
  llama ??= getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  return (await llama).loadModel({ modelPath });
}

/**
 * llama.cpp's next-token probabilities after each of `tokens` (row t: the distribution after tokens[0..t]),
 * dense over the vocabulary.
 */
export async function llamaCppNextTokenProbabilities(
  model: LlamaModel,
  tokens: number[],
  nVocab: number,
  options: LlamaCppContextOptions,
): Promise<Float32Array[]> {
  const context = await createLlamaCppContext(model, tokens.length + 16, options);
  try {
    const results = await context
      .getSequence()
      .controlledEvaluate(tokens.map((t) => [t, { generateNext: { probabilities: true } }] as never));
    return results.map((r, i) => {
      const probabilities = r?.next?.probabilities;
      if (!probabilities) throw new Error(`llama.cpp returned no probabilities at position ${i}`);
      const dense = new Float32Array(nVocab);
      for (const [token, p] of probabilities) dense[token] = p;
      return dense;
    });
  } finally {
    await context.dispose();
  }
}

export interface LlamaCppContextOptions {
  /** Our KV cache's precision, which llama.cpp's cache matches: F16 for f16 pairs, F32 for f32. */
  kvCache: StoredPrecision;
  /** A LoRA GGUF applied at scale 1. */
  loraPath?: string;
}

export function createLlamaCppContext(model: LlamaModel, positions: number, options: LlamaCppContextOptions) {
  const kvType = options.kvCache === 'f32' ? 'F32' : 'F16';
  return model.createContext({
    contextSize: Math.max(256, positions),
    ...(options.loraPath && { lora: { adapters: [{ filePath: options.loraPath, scale: 1 }] } }),
    // One thread: llama.cpp's workers spin while waiting, which on a small shared machine starves everything else.
    threads: 1,
    experimentalKvCacheKeyType: kvType,
    experimentalKvCacheValueType: kvType,
    flashAttention: false,
  });
}

/** llama.cpp's greedy continuation of `prompt` (token ids), `count` tokens long. */
export async function llamaCppGreedy(
  model: LlamaModel,
  prompt: number[],
  count: number,
  options: LlamaCppContextOptions,
): Promise<number[]> {
  const context = await createLlamaCppContext(model, prompt.length + count + 16, options);
  try {
    const out: number[] = [];
    for await (const token of context.getSequence().evaluate(prompt as Token[], { temperature: 0 })) {
      out.push(token);
      if (out.length === count) break;
    }
    return out;
  } finally {
    await context.dispose();
  }
}

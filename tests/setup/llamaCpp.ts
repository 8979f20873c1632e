import { getLlama, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';

let llama: Promise<Llama> | undefined;

/**
 * llama.cpp on the CPU through node-llama-cpp (version pinned in package.json): the reference implementation.
 * Contexts keep the KV cache in F32 (llama.cpp's default is F16) and use the plain attention path (its CPU flash
 * attention rounds Q to F16), so both sides compute attention in f32 and differ only by summation order.
 */
export async function loadLlamaCppModel(modelPath: string): Promise<LlamaModel> {
  llama ??= getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  return (await llama).loadModel({ modelPath });
}

/**
 * llama.cpp's next-token probabilities after each of `tokens` (row t: the distribution after tokens[0..t]),
 * dense over the vocabulary; with `loraPath`, a LoRA GGUF applied at scale 1.
 */
export async function llamaCppNextTokenProbabilities(
  model: LlamaModel,
  tokens: number[],
  nVocab: number,
  loraPath?: string,
): Promise<Float32Array[]> {
  const context = await createF32Context(model, tokens.length + 16, loraPath);
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

export function createF32Context(model: LlamaModel, positions: number, loraPath?: string) {
  return model.createContext({
    contextSize: Math.max(256, positions),
    ...(loraPath && { lora: { adapters: [{ filePath: loraPath, scale: 1 }] } }),
    // One thread: llama.cpp's workers spin while waiting, which on a small shared machine starves everything else.
    threads: 1,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
    flashAttention: false,
  });
}

/** llama.cpp's greedy continuation of `prompt` (token ids), `count` tokens long. */
export async function llamaCppGreedy(model: LlamaModel, prompt: number[], count: number): Promise<number[]> {
  const context = await createF32Context(model, prompt.length + count + 16);
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

/**
 * What the browser-side `model` suite (bench/suites/model.ts) and the Node-side runner (bench/modelBench.ts)
 * share: where staged models are listed and the token counts both sides measure.
 */
export interface StagedModel {
  name: string;
  url: string;
}

export const STAGED_MODELS_URL = '/bench-inputs/models.json';
export const PREFILL_TOKENS = 64;
export const DECODE_TOKENS = 16;

/** The same ordinary token ids for us and the llama.cpp peer (valid in any vocabulary of 512 or more). */
export function benchTokens(count: number): number[] {
  return Array.from({ length: count }, (_, i) => 300 + ((i * 7919) % 200));
}

/** The staged models the `model-batch` suite decodes at each of BATCH_SIZES (small enough for SwiftShader). */
export const BATCH_DECODE_MODELS: readonly string[] = ['stories260K', 'llama-25m Q4_0'];
export const BATCH_SIZES: readonly number[] = [1, 4, 8];

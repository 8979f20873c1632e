/**
 * What the browser-side `model` suite (bench/suites/model.ts) and the Node-side runner (bench/modelBench.ts)
 * share: where staged models are listed and the token counts both sides measure.
 */
export interface StagedModel {
  name: string;
  url: string;
  /** Prompt tokens and greedy decode steps both sides measure on this model (fewer for the 7B: ~9 and ~20 s/token on SwiftShader). */
  prefillTokens: number;
  decodeTokens: number;
}

export const STAGED_MODELS_URL = '/bench-inputs/models.json';
/** The counts for every staged model but the 7B-shaped one. */
export const PREFILL_TOKENS = 64;
export const DECODE_TOKENS = 16;
/** The 7B-shaped row (`--with-7b`): about 2.5 minutes per measured pass of ours on SwiftShader. */
export const PREFILL_TOKENS_7B = 8;
export const DECODE_TOKENS_7B = 3;

/** The same ordinary token ids for us and the llama.cpp peer (valid in any vocabulary of 512 or more). */
export function benchTokens(count: number): number[] {
  return Array.from({ length: count }, (_, i) => 300 + ((i * 7919) % 200));
}

/** The staged models the `model-batch` suite decodes at each of BATCH_SIZES (small enough for SwiftShader). */
export const BATCH_DECODE_MODELS: readonly string[] = ['stories260K', 'llama-25m Q4_0'];
export const BATCH_SIZES: readonly number[] = [1, 4, 8];

/** The two speed metrics the `model` suite measures; modelBench.ts joins the llama.cpp peers to them by step. */
export type SpeedStep = 'prefill' | 'decode';

export function speedMetric(step: SpeedStep, tokens: number): string {
  return `${step} tok/s (${tokens})`;
}

/** Which step a metric measures, or undefined for the suite's other metrics (dispatch counts). */
export function speedMetricStep(metric: string): SpeedStep | undefined {
  const match = /^(prefill|decode) tok\/s \(\d+\)$/.exec(metric);
  return match ? (match[1] as SpeedStep) : undefined;
}

/** GGUF tensor names of a llama-family model (llama.cpp's naming), per layer. */
export const PROJECTIONS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type Projection = (typeof PROJECTIONS)[number];

const PROJECTION_TENSOR: Record<Projection, string> = {
  q: 'attn_q',
  k: 'attn_k',
  v: 'attn_v',
  o: 'attn_output',
  gate: 'ffn_gate',
  up: 'ffn_up',
  down: 'ffn_down',
};

export function projectionTensorName(layer: number, projection: Projection): string {
  return `blk.${layer}.${PROJECTION_TENSOR[projection]}.weight`;
}

export function biasTensorName(layer: number, projection: 'q' | 'k' | 'v'): string {
  return `blk.${layer}.${PROJECTION_TENSOR[projection]}.bias`;
}

export const attnNormName = (layer: number): string => `blk.${layer}.attn_norm.weight`;
export const ffnNormName = (layer: number): string => `blk.${layer}.ffn_norm.weight`;

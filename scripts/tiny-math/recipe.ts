/** Everything that decides the bundled model: change a value here and rerun make.ts to get another model. */
export const RECIPE = {
  name: 'tiny-math',
  corpus: { seed: 1, perSkill: 20_000, merges: 400 },
  pretrain: { dim: 128, layers: 4, heads: 4, kvHeads: 2, ff: 384, context: 512, steps: 3500, batch: 64, lr: 3e-3, warmup: 100, seed: 1 },
} as const;

export const MODEL_PATH = new URL('../../models/tiny-math.gguf', import.meta.url);
export const RECORD_PATH = new URL('../../models/tiny-math.json', import.meta.url);

/**
 * The demo's fixed settings: one LoRA adapter taught word problems on the bundled base model, then the base and
 * the adapter evaluated on the same held-out problems. The page's "Try the demo" and `npm run demo` both use
 * these, so they reach the same numbers.
 */
import type { EvaluationRequest, TrainRequest } from '../../worker/api';

/** The demo's training shard, served beside the sample problems (public/samples/). */
export const DEMO_SHARD_NAME = 'word-problems.jsonl';

export const DEMO_TRAINING: TrainRequest = {
  name: 'word problems (demo)',
  rank: 16,
  alpha: 32,
  lr: 1e-3,
  steps: 30,
  decay: 'cosine',
  seqLen: 256,
  batch: 4,
  accumulation: 1,
  warmupSteps: 3,
  seed: 1,
  validationFraction: 0.02,
  evalEvery: 10,
};

/**
 * Every sample problem (300, levels 1-5): the held-out word problems the adapter learns (levels 4-5, 240 of
 * them, enough for McNemar's test to see a 20-point gain) and the arithmetic the base already knows (levels 1-3),
 * to show the adapter keeps it. Answers are short, so a tight token budget costs nothing correct.
 */
export const DEMO_EVALUATION: Omit<EvaluationRequest, 'name' | 'runId'> = {
  benchmark: { kind: 'samples' },
  seed: 0,
  promptStyle: 'sft-zero-shot',
  maxNewTokens: 48,
  batchSize: 16,
};

/**
 * A shorter demo from the page's address, `?demo-steps=N&demo-problems=M` (training steps, problems drawn from the
 * sample set): a walk-through of every step on a slow machine, and what the end-to-end test runs. The result
 * of a short demo shows the flow, not the gain; the full demo is the default.
 */
export function demoRecipeFromQuery(search: string): { training: TrainRequest; evaluation: typeof DEMO_EVALUATION } {
  const query = new URLSearchParams(search);
  const positive = (name: string): number | undefined => {
    const raw = query.get(name);
    if (raw === null) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`?${name}=${raw}: give a whole number of at least 1`);
    return n;
  };
  const steps = positive('demo-steps');
  const count = positive('demo-problems');
  return {
    training:
      steps === undefined
        ? DEMO_TRAINING
        : { ...DEMO_TRAINING, steps, warmupSteps: Math.min(DEMO_TRAINING.warmupSteps, steps), evalEvery: steps },
    evaluation: count === undefined ? DEMO_EVALUATION : { ...DEMO_EVALUATION, count },
  };
}

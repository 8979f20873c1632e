import type { BenchRow, BenchSuite } from '../harness';
import { Model } from '../../src/model/model';
import { BatchDecoder } from '../../src/model/batchDecode';
import { BATCH_DECODE_MODELS, BATCH_SIZES, benchTokens, DECODE_TOKENS, STAGED_MODELS_URL, type StagedModel } from '../modelInputs';

/**
 * Batched decode throughput in the browser: greedy decode tokens/s over all sequences at batch sizes 1, 4 and 8
 * for the small staged models (stories260K and the ~25M synthetic Llama; `bench/modelBench.ts` stages them).
 * B = 1 is one sequence a step at a time (Model.forwardSample, without the steps `generate` queues ahead); B > 1
 * is BatchDecoder a step at a time (without the steps `generateBatch` queues ahead), one forward per step over B rows.
 * Prefill is not timed: each slot is prefilled with its own 16-token prompt first.
 */
const PROMPT_TOKENS = 16;
const WARMUP_STEPS = 2;

/** Distinct prompts per sequence, from the bench's ordinary ids (still < 512, valid in every staged vocabulary). */
const prompt = (b: number) => benchTokens(PROMPT_TOKENS).map((id) => id + b);

async function decodeAlone(model: Model): Promise<number> {
  const greedy = { temperature: 0 };
  model.reset();
  let id = await model.forwardSample(prompt(0), greedy, 0);
  for (let i = 0; i < WARMUP_STEPS; i++) id = await model.forwardSample([id], greedy, 0);
  const start = performance.now();
  for (let i = 0; i < DECODE_TOKENS; i++) id = await model.forwardSample([id], greedy, 0);
  return DECODE_TOKENS / ((performance.now() - start) / 1000);
}

async function decodeBatch(model: Model, batch: number): Promise<number> {
  const greedy = { temperature: 0 };
  const decoder = BatchDecoder.create(model, batch, PROMPT_TOKENS + WARMUP_STEPS + DECODE_TOKENS + 1);
  try {
    let ids: number[] = [];
    for (let b = 0; b < batch; b++) ids.push(await decoder.prefill(b, prompt(b), greedy, 0));
    const step = async () => {
      ids = await decoder.step(
        ids.map((token, slot) => ({ slot, token, u: 0 })),
        greedy,
      );
    };
    for (let i = 0; i < WARMUP_STEPS; i++) await step();
    const start = performance.now();
    for (let i = 0; i < DECODE_TOKENS; i++) await step();
    return (batch * DECODE_TOKENS) / ((performance.now() - start) / 1000);
  } finally {
    decoder.free();
  }
}

export const suite: BenchSuite = {
  name: 'model-batch',
  async run(ctx) {
    const listing = await fetch(STAGED_MODELS_URL);
    // The preview server answers a missing file with the lab's page, so a listing that is not JSON is missing too.
    if (!listing.ok || !(listing.headers.get('content-type') ?? '').includes('json')) {
      ctx.log('model-batch: no staged models at /bench-inputs/models.json; run `node --import tsx bench/modelBench.ts`, which stages them');
      return [];
    }
    const models = ((await listing.json()) as StagedModel[]).filter((m) => BATCH_DECODE_MODELS.includes(m.name));
    const rows: BenchRow[] = [];
    for (const staged of models) {
      const blob = await (await fetch(staged.url)).blob();
      const model = await Model.load(ctx.gpu, blob, {
        maxContext: PROMPT_TOKENS + WARMUP_STEPS + DECODE_TOKENS + 8,
        maxStepTokens: PROMPT_TOKENS,
      });
      try {
        let alone = 0;
        for (const batch of BATCH_SIZES) {
          const tokensPerSecond = batch === 1 ? await decodeAlone(model) : await decodeBatch(model, batch);
          if (batch === 1) alone = tokensPerSecond;
          ctx.log(`model-batch ${staged.name}: B=${batch} decode ${tokensPerSecond.toFixed(2)} tok/s (all sequences)`);
          rows.push({
            suite: 'model-batch',
            case: staged.name,
            metric: `decode tok/s B=${batch} (${DECODE_TOKENS} steps)`,
            ours: tokensPerSecond,
            note: batch === 1 ? 'one sequence, a step at a time' : `${(tokensPerSecond / alone).toFixed(2)}× B=1`,
          });
        }
      } finally {
        model.free();
      }
    }
    return rows;
  },
};

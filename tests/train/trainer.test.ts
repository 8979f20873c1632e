import { afterAll, describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { tinyLlama } from './fixtures';
import { Trainer, type StepMetrics } from '../../src/train/trainer';
import { defaultTrainConfig, type TrainConfig } from '../../src/train/config';
import { deserializeCheckpoint, MemoryCheckpointStore } from '../../src/train/checkpoint';
import { packExamples } from '../../src/data/packing';
import type { TokenizedExample } from '../../src/data/tokenize';
import { seededRandom } from '../../src/util/random';
import { PROJECTIONS } from '../../src/model/tensorNames';

const gpu = await testGpu();
// One layer, 64 wide, final norm weights 4: RMSNorm fixes |xf|, and a random head at scale 1 could not reach the
// logit margins a loss of 0.05 needs, whatever the adapter does.
const { model } = await tinyLlama(
  gpu,
  { blockCount: 1, embeddingLength: 64, feedForwardLength: 64, seed: 3 },
  {
    'output_norm.weight': (v) => v.map(() => 4),
  },
);
afterAll(() => model.free());

const SEED = 77;

/** 16 fixed samples: BOS, two prompt tokens (masked), four response tokens to learn; packed 4 to a row. */
function rows() {
  const next = seededRandom(SEED);
  const examples: TokenizedExample[] = Array.from({ length: 16 }, (_, i) => ({
    tokens: Int32Array.from({ length: 7 }, (_, t) => (t === 0 ? 1 : 3 + Math.floor(next() * 500))),
    targets: Uint8Array.from({ length: 7 }, (_, t) => (t >= 3 ? 1 : 0)),
    from: { shard: 'fixed', row: i },
  }));
  return packExamples(examples, 28, 0).rows;
}

const config = (overrides: Partial<TrainConfig>) =>
  defaultTrainConfig({
    seed: SEED,
    lora: { rank: 8, alpha: 16, dropout: 0, targets: PROJECTIONS, seed: SEED },
    seqLen: 28,
    lossChunkRows: 64,
    ...overrides,
  });

describe('the trainer', () => {
  it('overfits 16 fixed samples to a loss below 0.05 (two accumulated micro-batches per step)', async () => {
    const train = rows();
    expect(train.length).toBe(4);
    const history: StepMetrics[] = [];
    const stop = new AbortController();
    const trainer = Trainer.start(
      gpu,
      model,
      { train, validation: [] },
      config({ steps: 80, lr: 3e-2, warmupSteps: 3, decay: 'constant', batch: 2, accumulation: 2, maxGradNorm: 0 }),
      { onMetrics: (m) => (history.push(m), m.loss < 0.05 && stop.abort()) },
    );
    const result = await trainer.run(stop.signal);
    trainer.free();
    trainer.adapter.free();
    console.log(`[overfit] loss by step: ${history.map((m) => `${m.step}:${m.loss.toFixed(3)}`).join(' ')}`);
    expect(history[0].loss).toBeGreaterThan(4);
    expect(history[history.length - 1].loss).toBeLessThan(0.05);
    expect(result.status).toBe('stopped');
  }, 900_000);

  // Plain, and with LoRA dropout and a two-stage curriculum (rows 1-2 "normal", row 3 "hard": steps 1-5 normal,
  // 6-10 hard), paused in the middle of the hard stage: the masks and the stage order must resume exactly too.
  const variants = [
    { name: 'plain', pauseAt: 5, dropout: 0, curriculum: undefined },
    {
      name: 'LoRA dropout 0.1 and a normal → hard curriculum',
      pauseAt: 7,
      dropout: 0.1,
      curriculum: { stages: ['normal', 'hard'], rule: { by: 'level' as const, hardFromLevel: 4 } },
    },
  ];
  for (const variant of variants) {
    it(`resumes exactly (${variant.name}): 10 steps straight equal ${variant.pauseAt} steps, a saved and reloaded checkpoint, then the rest`, async () => {
      const [held, ...train] = rows();
      const stages = variant.curriculum && [
        { name: 'normal', rows: 2 },
        { name: 'hard', rows: 1 },
      ];
      const data = { train, validation: [held], stages };
      const base = config({
        steps: 10,
        lr: 1e-2,
        warmupSteps: 2,
        decay: 'cosine',
        batch: 2,
        maxGradNorm: 0.5,
        weightDecay: 0.01,
        checkpointEvery: 5,
        evalEvery: 4,
      });
      const run: TrainConfig = { ...base, lora: { ...base.lora, dropout: variant.dropout }, curriculum: variant.curriculum };
      const straight: StepMetrics[] = [];
      const a = Trainer.start(gpu, model, data, run, { onMetrics: (m) => straight.push(m) });
      await a.run();
      const paramsStraight = await a.adapter.readValues();
      a.free();
      a.adapter.free();

      const store = new MemoryCheckpointStore();
      const resumed: StepMetrics[] = [];
      const pause = new AbortController();
      const b = Trainer.start(gpu, model, data, run, {
        store,
        onMetrics: (m) => (resumed.push(m), m.step === variant.pauseAt && pause.abort()),
      });
      expect(await b.run(pause.signal)).toEqual({ status: 'stopped', step: variant.pauseAt });
      b.free();
      b.adapter.free();
      const checkpoint = await deserializeCheckpoint((await store.load())!);
      expect(checkpoint.step).toBe(variant.pauseAt);
      expect(checkpoint.config).toEqual(run);
      const c = Trainer.resume(gpu, model, data, checkpoint, { onMetrics: (m) => resumed.push(m) });
      expect(await c.run()).toEqual({ status: 'done', step: 10 });
      const paramsResumed = await c.adapter.readValues();
      c.free();
      c.adapter.free();

      expect(resumed.map((m) => m.step)).toEqual(straight.map((m) => m.step));
      expect(resumed.map((m) => m.stage)).toEqual(straight.map((m) => m.stage));
      if (variant.curriculum) expect(straight.map((m) => m.stage)).toEqual([...Array(5).fill('normal'), ...Array(5).fill('hard')]);
      else expect(straight.every((m) => m.stage === undefined)).toBe(true);
      // Held-out loss every 4 steps and at the end, the same in both runs.
      expect(straight.filter((m) => m.eval_loss !== undefined).map((m) => m.step)).toEqual([4, 8, 10]);
      expect(resumed.map((m) => m.eval_loss)).toEqual(straight.map((m) => m.eval_loss));
      for (let i = 0; i < 10; i++) {
        expect(Math.abs(resumed[i].loss - straight[i].loss), `step ${i + 1}`).toBeLessThanOrEqual(1e-5);
        expect(resumed[i].lr).toBe(straight[i].lr);
      }
      let maxDiff = 0;
      for (let i = 0; i < paramsStraight.length; i++) maxDiff = Math.max(maxDiff, Math.abs(paramsStraight[i] - paramsResumed[i]));
      expect(maxDiff).toBeLessThanOrEqual(1e-5);
      expect(straight[9].loss).toBeLessThan(straight[0].loss);
    }, 900_000);
  }

  it('refuses a curriculum run whose data has no stages, whose stages do not cover the rows, or that has too few steps, allocating nothing', () => {
    const train = rows();
    const run = config({ steps: 4, batch: 2, curriculum: { stages: ['normal', 'hard'], rule: { by: 'level', hardFromLevel: 4 } } });
    expect(() => Trainer.start(gpu, model, { train, validation: [] }, run)).toThrow(
      /training data: the run has a curriculum but the data has no stages/,
    );
    expect(() => Trainer.start(gpu, model, { train, validation: [], stages: [{ name: 'normal', rows: 1 }] }, run)).toThrow(
      /the stages hold 1 rows, the training split 4/,
    );
    const allocated = gpu.buffers.snapshot().buffers;
    expect(() =>
      Trainer.start(
        gpu,
        model,
        {
          train,
          validation: [],
          stages: [
            { name: 'normal', rows: 2 },
            { name: 'hard', rows: 2 },
          ],
        },
        { ...run, steps: 1 },
      ),
    ).toThrow(/curriculum: 1 steps cannot give each of 2 stages one/);
    expect(gpu.buffers.snapshot().buffers, 'buffers left behind by a refused run').toBe(allocated);
  });
});

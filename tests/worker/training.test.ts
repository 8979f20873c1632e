import { beforeAll, describe, expect, it } from 'vitest';
import { openAsBlob } from 'node:fs';
import { Engine } from '../../src/worker/engine';
import { testGpu } from '../setup/testGpu';
import { sharedData } from '../sharedData';
import type { StepMetrics } from '../../src/train/trainer';
import type { TrainingPlan } from '../../src/worker/api';

let engine: Engine;

beforeAll(async () => {
  engine = new Engine(testGpu);
  await engine.init();
  await engine.loadModel(await openAsBlob(sharedData('tiny-models', 'stories260K.gguf')), 'load');
  const rows = Array.from({ length: 24 }, (_, i) =>
    JSON.stringify({ text: `The purple robot number ${i} sang a happy song about the moon.` }),
  );
  await engine.addShards([new File([rows.join('\n')], 'robots.jsonl')]);
});

const request = { name: 'robots', rank: 4, alpha: 8, lr: 3e-2, steps: 6, seqLen: 64, batch: 2, accumulation: 1, warmupSteps: 0, seed: 3 };

// The first training step compiles every training pipeline (slow on SwiftShader), so these tests get room.
describe('training through the engine API', { timeout: 600_000 }, () => {
  it('trains an adapter on the loaded shards, streaming one metrics line per step', async () => {
    const metrics: StepMetrics[] = [];
    const adapter = await engine.train(request, 'train-1', (m) => metrics.push(m));
    expect(adapter.status).toBe('done');
    expect(adapter.steps).toBe(6);
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const m of metrics) expect(Number.isFinite(m.loss) && m.loss > 0).toBe(true);
    expect(metrics[5].loss).toBeLessThan(metrics[0].loss);
    expect((await engine.adapters()).map((a) => a.id)).toEqual([adapter.id]);
  });

  it('switches generation between the base model and the adapter without reloading', async () => {
    const [adapter] = await engine.adapters();
    const base = await engine.generate({ prompt: 'The purple robot', maxTokens: 8, temperature: 0 }, 'g-base');
    await engine.useAdapter(adapter.id);
    const tuned = await engine.generate({ prompt: 'The purple robot', maxTokens: 8, temperature: 0 }, 'g-tuned');
    await engine.useAdapter(null);
    const again = await engine.generate({ prompt: 'The purple robot', maxTokens: 8, temperature: 0 }, 'g-base-2');
    expect(again.text).toBe(base.text);
    expect(tuned.tokens).not.toEqual(base.tokens);
  });

  it('trains a run given in epochs for the steps it planned before step 1, with the linear decay asked for', async () => {
    const events: string[] = [];
    let plan: TrainingPlan | undefined;
    const metrics: StepMetrics[] = [];
    const { steps: _steps, ...inEpochs } = request;
    const adapter = await engine.train(
      { ...inEpochs, name: 'epochs', epochs: 1, decay: 'linear' },
      'train-epochs',
      (m) => void (events.push(`step ${m.step}`), metrics.push(m)),
      (p) => void (events.push('planned'), (plan = p)),
    );
    expect(events[0]).toBe('planned');
    expect(plan!.runId).toBe(adapter.id);
    expect(plan!.trainRows).toBe(adapter.data!.trainRows);
    // Batches of 2 rows, one per step: one epoch is ceil(rows / 2) steps, and the last one completes it.
    expect(plan!.steps).toBe(Math.ceil(plan!.trainRows / 2));
    expect(adapter.steps).toBe(plan!.steps);
    expect(metrics.map((m) => m.epoch).at(-1)).toBe(1);
    expect(metrics.at(-2)!.epoch).toBeLessThan(1);
    metrics.forEach((m) => expect(m.lr).toBeCloseTo(request.lr * (1 - m.step / plan!.steps), 12));
  });

  it('refuses a warmup longer than the steps its epochs come to, storing nothing', async () => {
    const { steps: _steps, ...inEpochs } = request;
    await expect(engine.train({ ...inEpochs, name: 'warm', epochs: 1, warmupSteps: 1000 }, 'train-warm')).rejects.toThrow(
      /warmup of 1000 steps must be an integer from 0 to the \d+ total steps/,
    );
    expect(await engine.interruptedRuns()).toEqual([]);
  });

  it("refuses a run over the memory budget before storing or allocating anything, with the plan's numbers", async () => {
    const allocated = (await engine.memory()).bytesInUse;
    await engine.setMemoryBudget(1_000_000);
    try {
      await expect(engine.train({ ...request, name: 'too-big' }, 'train-budget')).rejects.toThrow(
        /^memory plan: training does not fit this GPU: needs [\d.]+ MiB of GPU memory but 977 KiB is available \(lower the batch or sequence length\) — Plan: weights \(frozen, as stored\) 1\.12 MiB, .*saved activations/,
      );
    } finally {
      await engine.setMemoryBudget(null);
    }
    expect((await engine.memory()).bytesInUse).toBe(allocated);
    expect(await engine.interruptedRuns()).toEqual([]);
    expect((await engine.adapters()).map((a) => a.name)).not.toContain('too-big');
  });

  it('stops a run when cancelled, keeping what it trained', async () => {
    const stopped = await engine.train({ ...request, name: 'stopped', steps: 50 }, 'train-2', () => void engine.cancel('train-2'));
    expect(stopped.status).toBe('stopped');
    expect(stopped.steps).toBeLessThan(50);
  });
});

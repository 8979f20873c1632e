import { beforeAll, describe, expect, it } from 'vitest';
import { openAsBlob } from 'node:fs';
import { Engine } from '../../src/worker/engine';
import { testGpu } from '../setup/testGpu';
import { sharedData } from '../sharedData';
import type { StepMetrics } from '../../src/train/trainer';

let engine: Engine;

beforeAll(async () => {
  engine = new Engine(testGpu);
  await engine.init();
  await engine.loadModel(await openAsBlob(sharedData('tiny-models', 'stories260K.gguf')), 'load');
  const rows = Array.from({ length: 24 }, (_, i) => JSON.stringify({ text: `The purple robot number ${i} sang a happy song about the moon.` }));
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

  it('stops a run when cancelled, keeping what it trained', async () => {
    const stopped = await engine.train({ ...request, name: 'stopped', steps: 50 }, 'train-2', () => void engine.cancel('train-2'));
    expect(stopped.status).toBe('stopped');
    expect(stopped.steps).toBeLessThan(50);
  });
});

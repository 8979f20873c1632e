import { beforeAll, describe, expect, it } from 'vitest';
import { openAsBlob, readFileSync } from 'node:fs';
import { Engine } from '../../src/worker/engine';
import { MemoryStorage } from '../../src/worker/storage/labStorage';
import { scalingSubsets } from '../../src/worker/scaling';
import { nodeEvaluationEnvironment } from '../../src/eval/nodeEnvironment';
import { examplesIn, type Example } from '../../src/data/example';
import type { ScalingProgress, ScalingRequest } from '../../src/worker/api';
import { testGpu } from '../setup/testGpu';
import { STORIES_PATH } from '../train/fixtures';
import { sharedData } from '../sharedData';

const examples: Example[] = Array.from({ length: 40 }, (_, i) => ({
  kind: 'text',
  prompt: '',
  response: `row ${i}`,
  shard: 's.jsonl',
  row: i + 1,
}));

describe('nested training sets of a scaling experiment', () => {
  it('are prefixes of one seeded shuffle: each size holds every smaller one', () => {
    const seed = 5;
    const [small, middle, large] = scalingSubsets(examples, [4, 10, 40], seed).map((subset) => [...examplesIn(subset)]);
    expect(small.length).toBe(4);
    expect(middle.slice(0, 4)).toEqual(small);
    expect(large.slice(0, 10)).toEqual(middle);
    expect(new Set(large.map((e) => e.row)).size).toBe(40);
    expect(large.map((e) => e.row)).not.toEqual(examples.map((e) => e.row));
    expect(scalingSubsets(examples, [4, 10], seed).map((subset) => [...examplesIn(subset)])).toEqual([small, middle]);
  });

  it('refuses sizes larger than the data, out of order, or none, saying what to do', () => {
    expect(() => scalingSubsets(examples, [8, 41], 0)).toThrow(
      /size 41 is larger than the 40 loaded examples.*Add shards or choose smaller sizes/s,
    );
    expect(() => scalingSubsets(examples, [16, 8], 0)).toThrow(/must ascend/);
    expect(() => scalingSubsets(examples, [], 0)).toThrow(/no sizes/);
  });
});

let engine: Engine;

beforeAll(async () => {
  engine = new Engine(testGpu, nodeEvaluationEnvironment(), new MemoryStorage());
  await engine.init();
  await engine.loadModel(await openAsBlob(STORIES_PATH), 'load');
  const rows = Array.from({ length: 24 }, (_, i) =>
    JSON.stringify({ text: `The purple robot number ${i} sang a happy song about the moon.` }),
  );
  await engine.addShards([new File([rows.join('\n')], 'robots.jsonl')]);
});

const request: ScalingRequest = {
  name: 'robots',
  sizes: [8, 16],
  train: { rank: 4, alpha: 8, lr: 3e-2, steps: 2, seqLen: 64, batch: 2, accumulation: 1, warmupSteps: 0, seed: 3 },
  evaluation: { benchmark: { kind: 'samples' }, count: 2, maxNewTokens: 3 },
};

// The first training step compiles every training pipeline (slow on SwiftShader).
describe('data-scaling experiment through the engine', { timeout: 600_000 }, () => {
  it('trains an adapter per size into the library and evaluates each on the same problems', async () => {
    const events: ScalingProgress[] = [];
    const result = await engine.scalingExperiment(request, 'scale', (p) => events.push(p));
    expect(result.status).toBe('complete');
    expect(result.points.map((p) => p.size)).toEqual([8, 16]);
    expect(result.problemIds.length).toBe(2);
    expect(result.benchmark).toBe('math500');

    const adapters = await engine.adapters();
    for (const point of result.points) {
      const adapter = adapters.find((a) => a.id === point.adapterId)!;
      expect(adapter).toMatchObject({
        name: `robots-n${point.size}`,
        status: 'done',
        trainExamples: point.size,
        evaluationRunIds: [point.runId],
      });
      expect(point.total).toBe(2);
      expect(point.accuracy.estimate).toBe(point.correct / 2);
      expect(point.accuracy.low).toBeLessThanOrEqual(point.accuracy.estimate);
      expect(point.accuracy.high).toBeGreaterThanOrEqual(point.accuracy.estimate);
    }
    const runs = await engine.evaluationRuns();
    const [first, second] = result.points.map((p) => runs.find((r) => r.run.id === p.runId)!);
    expect(first.run.problemIds).toEqual(result.problemIds);
    expect(second.run.problemIds).toEqual(result.problemIds);
    expect([first.adapter?.name, second.adapter?.name]).toEqual(['robots-n8', 'robots-n16']);

    const phases = events.map((e) => `${e.phase}:${e.size}`).filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(['train:8', 'evaluate:8', 'done:8', 'train:16', 'evaluate:16', 'done:16']);
    expect(events.filter((e) => e.phase === 'train' && e.size === 16).map((e) => e.metrics!.step)).toEqual([1, 2]);
    expect(events.filter((e) => e.phase === 'evaluate' && e.size === 8 && e.evaluation?.record).length).toBe(2);
  });

  it('stops when cancelled, keeping the sizes that finished, evaluated on the benchmark file the user dropped', async () => {
    const gsm8k = new File(
      [readFileSync(sharedData('gsm8k', 'test.jsonl'), 'utf8').split('\n').slice(0, 20).join('\n')],
      'gsm8k-test.jsonl',
    );
    const evaluation = { benchmark: { kind: 'file' as const, file: gsm8k }, count: 2, seed: 4, maxNewTokens: 3 };
    const result = await engine.scalingExperiment({ ...request, name: 'cut', evaluation }, 'scale-cut', (p) => {
      if (p.phase === 'train' && p.size === 16) void engine.cancel('scale-cut');
    });
    expect(result.status).toBe('stopped');
    expect(result.points.map((p) => p.size)).toEqual([8]);
    const run = (await engine.evaluationRuns()).find((r) => r.run.id === result.points[0].runId)!.run;
    expect(run.benchmark).toBe('gsm8k');
    expect(result.benchmark).toBe('gsm8k');
    expect(result.problemIds).toHaveLength(2);
    expect(result.problemIds.every((id) => id.startsWith('gsm8k/'))).toBe(true);
    const samples = await engine.evaluate({ ...evaluation, runId: 'same-draw' }, 'same-draw');
    expect(samples.run.problemIds).toEqual(result.problemIds);
    const cut = (await engine.adapters()).filter((a) => a.name.startsWith('cut-'));
    expect(cut.map((a) => [a.name, a.status])).toEqual([
      ['cut-n8', 'done'],
      ['cut-n16', 'stopped'],
    ]);
  });

  it('refuses sizes larger than the loaded examples before training anything', async () => {
    const before = (await engine.adapters()).length;
    await expect(engine.scalingExperiment({ ...request, sizes: [8, 100] }, 'scale-big')).rejects.toThrow(
      /size 100 is larger than the 24 loaded examples/,
    );
    expect((await engine.adapters()).length).toBe(before);
  });
});

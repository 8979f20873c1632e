import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MODEL_PATH } from '../../scripts/tiny-math/recipe';
import { DEMO_SHARD_PATH } from '../../scripts/make-demo-shard';
import { Engine } from '../../src/worker/engine';
import { nodeEvaluationEnvironment } from '../../src/eval/nodeEnvironment';
import { DEMO_EVALUATION, DEMO_SHARD_NAME, DEMO_TRAINING, demoRecipeFromQuery } from '../../src/ui/demo/demoRecipe';
import { DemoStopped, runDemo, type DemoHooks, type DemoRecipe, type DemoReport, type DemoStep } from '../../src/ui/demo/demoRun';
import { demoSummary, demoTable, formatP, lossCurveText } from '../../src/ui/demo/demoSummary';
import { testGpu } from '../setup/testGpu';

// Training and decoding on SwiftShader, on a machine other test runs share.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

/** The demo's recipe with small budgets: 3 training steps, 6 problems of the sample set. */
const SMALL: DemoRecipe = {
  training: { ...DEMO_TRAINING, steps: 3, warmupSteps: 1, evalEvery: 3, seqLen: 128, batch: 2 },
  evaluation: { ...DEMO_EVALUATION, count: 6, maxNewTokens: 24, batchSize: 6 },
};

let engine: Engine;
let model: Blob;
let shard: File;

beforeAll(async () => {
  engine = new Engine(testGpu, nodeEvaluationEnvironment());
  await engine.init();
  model = new File([readFileSync(fileURLToPath(MODEL_PATH))], 'tiny-math.gguf');
  shard = new File([readFileSync(DEMO_SHARD_PATH)], DEMO_SHARD_NAME);
});

function hooks(steps: DemoStep[], jobs: string[]): DemoHooks {
  let n = 0;
  return {
    onStep: (s) => steps.push(s),
    newJobId: () => `demo-job-${++n}`,
    onJob: (id) => id && jobs.push(id),
    callback: (f) => f,
    train: (request) => engine.train(request, `demo-train-${++n}`),
  };
}

describe('the demo (src/ui/demo/demoRun.ts) on the bundled model, with small budgets', () => {
  let report: DemoReport;

  it('loads the model and the shard, trains, evaluates base and adapter on the same problems, and compares them', async () => {
    const steps: DemoStep[] = [];
    const jobs: string[] = [];
    report = await runDemo(engine, { model, shard }, hooks(steps, jobs), SMALL);
    expect(steps).toEqual(['model', 'data', 'train', 'evaluate-base', 'evaluate-adapter', 'compare']);
    expect(jobs).toEqual(['demo-job-1', 'demo-job-3', 'demo-job-4']);
    expect(report.model.fileName).toBe('tiny-math.gguf');
    expect(report.training.adapter).toMatchObject({ status: 'done', steps: 3 });
    expect(report.training.adapter.metrics.map((m) => m.step)).toEqual([1, 2, 3]);
    expect(report.base.run.problemIds).toHaveLength(6);
    expect(report.adapter.run.problemIds).toEqual(report.base.run.problemIds);
    expect(report.comparison.runs.map((r) => r.id)).toEqual([report.base.run.id, report.adapter.run.id]);
    const runs = await engine.evaluationRuns();
    expect(runs.find((r) => r.run.id === report.base.run.id)?.adapter).toBeUndefined();
    expect(runs.find((r) => r.run.id === report.adapter.run.id)?.adapter?.id).toBe(report.training.adapter.id);
  });

  it("says the result in words and as a table by level with intervals and McNemar's p, and draws the loss", () => {
    const overall = report.comparison.table[0];
    expect(demoSummary(report)).toContain(`On ${overall.cells[0].total} held-out problems`);
    const table = demoTable(report);
    expect(table.split('\n')[0]).toMatch(/^group\s+problems\s+base model \(95% interval\)\s+adapter \(95% interval\)$/);
    for (const row of report.comparison.table) expect(table).toContain(row.group);
    expect(table).toMatch(/McNemar exact p (=|<) /);
    expect(lossCurveText(report).split('\n')).toHaveLength(3);
    expect(formatP(0.5)).toBe('p = 0.500');
    expect(formatP(2.31e-8)).toBe('p = 2.31e-8');
    expect(formatP(1e-20)).toBe('p < 1e-12');
  });

  it('does not load the shard twice, and stops with a clear message when its evaluation is cancelled', async () => {
    const steps: DemoStep[] = [];
    const h = hooks(steps, []);
    const run = runDemo(
      engine,
      { model, shard },
      { ...h, onEvaluation: (which, p) => which === 'base' && p.done === 1 && void engine.cancel('demo-job-3') },
      SMALL,
    );
    await expect(run).rejects.toThrow(DemoStopped);
    await expect(run).rejects.toThrow(/stopped during "Evaluate the base model"/);
    expect((await engine.dataSummary()).shards.filter((s) => s.name === DEMO_SHARD_NAME)).toHaveLength(1);
  });
});

describe('the demo recipe from the page address (demoRecipeFromQuery)', () => {
  it('is the full demo without parameters, and a shorter one with demo-steps and demo-problems', () => {
    expect(demoRecipeFromQuery('')).toEqual({ training: DEMO_TRAINING, evaluation: DEMO_EVALUATION });
    const short = demoRecipeFromQuery('?demo-steps=4&demo-problems=8');
    expect(short.training).toMatchObject({ steps: 4, warmupSteps: 4, evalEvery: 4, rank: DEMO_TRAINING.rank });
    expect(short.evaluation).toEqual({ ...DEMO_EVALUATION, count: 8 });
  });

  it('refuses a budget that is not a whole number of at least 1, naming the parameter', () => {
    expect(() => demoRecipeFromQuery('?demo-steps=0')).toThrow('?demo-steps=0: give a whole number of at least 1');
    expect(() => demoRecipeFromQuery('?demo-problems=2.5')).toThrow(/demo-problems=2\.5/);
  });
});

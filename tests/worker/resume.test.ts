import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, openAsBlob, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/worker/engine';
import { FsStorage } from '../../src/worker/storage/fsStorage';
import { MemoryStorage, type LabStorage } from '../../src/worker/storage/labStorage';
import { importPeftValues } from '../../src/model/lora/loraPeft';
import { buildTinyModel, writeGguf } from '../../src/formats/gguf';
import type { AdapterSummary, ModelInfo, StepMetrics, TrainRequest } from '../../src/worker/api';
import { testGpu } from '../setup/testGpu';
import { storiesVocabulary, STORIES_PATH } from '../train/fixtures';

/**
 * A page reload in the middle of training is a fresh Engine over the same storage. Two ways a run stops: the user
 * presses Stop (checkpoint at that step, status 'stopped'), or the tab closes (the last periodic checkpoint,
 * status still 'running'; simulated by copying the storage directory while step 3 is reported). Both continue to
 * the same losses and parameters as a run that never stopped.
 */
// Dropout and a curriculum too: the masks derive from (seed, step) and the stages must come back with the rows.
const request: TrainRequest = {
  name: 'robots',
  rank: 4,
  alpha: 8,
  lr: 3e-2,
  steps: 6,
  seqLen: 64,
  batch: 2,
  accumulation: 1,
  warmupSteps: 0,
  seed: 3,
  checkpointEvery: 2,
  dropout: 0.1,
  curriculum: { stages: ['normal', 'hard'], rule: { by: 'field', fallback: 'normal' } },
};
const shard = new File(
  [
    Array.from({ length: 24 }, (_, i) => JSON.stringify({ text: `The purple robot number ${i} sang a happy song about the moon.` })).join(
      '\n',
    ),
  ],
  'robots.jsonl',
);
let stories: File;
const dirs: string[] = [];
let stoppedDir: string;
let closedDir: string;
let reference: { metrics: StepMetrics[]; values: Float32Array; info: ModelInfo };

async function engineOver(storage: LabStorage, model: File = stories): Promise<Engine> {
  const engine = new Engine(testGpu, undefined, storage);
  await engine.init();
  await engine.loadModel(model, 'load');
  return engine;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lora-lab-resume-'));
  dirs.push(dir);
  return dir;
}

async function adapterValues(engine: Engine, id: string): Promise<Float32Array> {
  const [config, weights] = await engine.exportAdapter(id);
  return (await importPeftValues(reference.info.config, { config: await config.blob.text(), weights: weights.blob })).values;
}

function expectSameRun(metrics: StepMetrics[], values: Float32Array): void {
  expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
  metrics.forEach((m, i) => {
    expect(Math.abs(m.loss - reference.metrics[i].loss), `loss at step ${m.step}`).toBeLessThan(1e-5);
    expect(Math.abs(m.grad_norm - reference.metrics[i].grad_norm), `grad norm at step ${m.step}`).toBeLessThan(1e-5);
  });
  expect(values.length).toBe(reference.values.length);
  let maxDiff = 0;
  for (let i = 0; i < values.length; i++) maxDiff = Math.max(maxDiff, Math.abs(values[i] - reference.values[i]));
  expect(maxDiff).toBeLessThan(1e-5);
}

beforeAll(async () => {
  stories = new File([await openAsBlob(STORIES_PATH)], 'stories260K.gguf');
  const uninterrupted = await engineOver(new MemoryStorage());
  await uninterrupted.addShards([shard]);
  const metrics: StepMetrics[] = [];
  const adapter = await uninterrupted.train(request, 'train', (m) => metrics.push(m));
  reference = { metrics, values: new Float32Array(), info: (await uninterrupted.modelInfo())! };
  reference.values = await adapterValues(uninterrupted, adapter.id);

  stoppedDir = tempDir();
  closedDir = tempDir();
  const first = await engineOver(new FsStorage(stoppedDir));
  await first.addShards([shard]);
  const stopped = await first.train(request, 'train', (m) => {
    if (m.step !== 3) return;
    cpSync(stoppedDir, closedDir, { recursive: true });
    void first.cancel('train');
  });
  expect(stopped).toMatchObject({ status: 'stopped', steps: 3 });
}, 600_000);

afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('training runs across a reload', { timeout: 600_000 }, () => {
  it('lists a stopped run with its step, base model and metrics so far; its adapter is in the library', async () => {
    const engine = await engineOver(new FsStorage(stoppedDir));
    const [run] = await engine.interruptedRuns();
    expect(run).toMatchObject({ runId: 'robots-1', name: 'robots', status: 'stopped', step: 3, steps: 6, model: reference.info.identity });
    expect(run.metrics.map((m) => m.loss)).toEqual(reference.metrics.slice(0, 3).map((m) => m.loss));
    expect(run.data).toMatchObject({
      shards: [{ name: 'robots.jsonl', examples: 24 }],
      seqLen: 64,
      stages: [{ name: 'normal', examples: run.data.trainExamples }],
    });
    expect(run.config).toMatchObject({ lora: { dropout: 0.1 }, curriculum: request.curriculum });
    expect((await engine.adapters()).map((a) => [a.id, a.status, a.steps])).toEqual([['robots-1', 'stopped', 3]]);
  });

  it('lists a run cut off by closing the tab at its last periodic checkpoint', async () => {
    const engine = await engineOver(new FsStorage(closedDir));
    const runs = await engine.interruptedRuns();
    expect(runs.map((r) => [r.runId, r.status, r.step])).toEqual([['robots-1', 'interrupted', 2]]);
  });

  it('refuses to resume before a model is loaded, naming the file to load', async () => {
    const engine = new Engine(testGpu, undefined, new FsStorage(closedDir));
    await engine.init();
    await expect(engine.resumeTraining('robots-1', 'resume')).rejects.toThrow(
      /no model is loaded; this needs "stories260K.gguf".*Load stories260K.gguf/s,
    );
  });

  it('refuses to resume on another base model, naming the file to load', async () => {
    const tiny = buildTinyModel({
      architecture: 'llama',
      vocabulary: await storiesVocabulary(),
      embeddingLength: 32,
      blockCount: 2,
      headCount: 4,
      headCountKv: 2,
      feedForwardLength: 44,
      weightType: 'F32',
      seed: 7,
    });
    const engine = await engineOver(new FsStorage(closedDir), new File([writeGguf(tiny.metadata, tiny.tensors)], 'stories260K.gguf'));
    await expect(engine.resumeTraining('robots-1', 'resume')).rejects.toThrow(
      /needs the model "stories260K.gguf" \(1,185,\d+ bytes.*is loaded.*Load stories260K.gguf/s,
    );
    expect((await engine.interruptedRuns()).length).toBe(1);
  });

  it("continues a stopped run (a pause) to the uninterrupted run's losses and parameters, replaying the stored steps first", async () => {
    const engine = await engineOver(new FsStorage(stoppedDir));
    const metrics: StepMetrics[] = [];
    const done: AdapterSummary = await engine.resumeTraining('robots-1', 'resume', (m) => metrics.push(m));
    expect(done).toMatchObject({ id: 'robots-1', status: 'done', steps: 6 });
    expectSameRun(metrics, await adapterValues(engine, done.id));
    expect(done.metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await engine.interruptedRuns()).toEqual([]);
    expect(existsSync(join(stoppedDir, 'runs', 'robots-1'))).toBe(false);
  });

  it('continues a run cut off by a reload from its last checkpoint, to the same losses and parameters', async () => {
    const engine = await engineOver(new FsStorage(closedDir));
    const metrics: StepMetrics[] = [];
    const done = await engine.resumeTraining('robots-1', 'resume', (m) => metrics.push(m));
    expectSameRun(metrics, await adapterValues(engine, done.id));
    expect((await engine.adapters()).map((a) => [a.id, a.status])).toEqual([['robots-1', 'done']]);
  });

  it('keeps a trained adapter usable after a reload without retraining', async () => {
    const engine = await engineOver(new FsStorage(stoppedDir));
    const base = await engine.generate({ prompt: 'The purple robot', maxTokens: 8, temperature: 0 }, 'g-base');
    await engine.useAdapter('robots-1');
    const tuned = await engine.generate({ prompt: 'The purple robot', maxTokens: 8, temperature: 0 }, 'g-tuned');
    expect(tuned.tokens).not.toEqual(base.tokens);
  });

  it('leaves no run behind when a request cannot train', async () => {
    const engine = await engineOver(new MemoryStorage());
    await engine.addShards([shard]);
    await expect(engine.train({ ...request, rank: 0 }, 'train-rank')).rejects.toThrow(/rank 0/);
    expect(await engine.interruptedRuns()).toEqual([]);
    expect(await engine.adapters()).toEqual([]);
  });

  it('discards a run with its data and checkpoint', async () => {
    const dir = tempDir();
    const engine = await engineOver(new FsStorage(dir));
    await engine.addShards([shard]);
    await engine.train({ ...request, name: 'discarded', steps: 20 }, 'train', () => void engine.cancel('train'));
    expect((await engine.interruptedRuns()).map((r) => r.runId)).toEqual(['discarded-1']);
    await engine.discardRun('discarded-1');
    expect(await engine.interruptedRuns()).toEqual([]);
    expect(existsSync(join(dir, 'runs', 'discarded-1'))).toBe(false);
    await expect(engine.resumeTraining('discarded-1', 'resume')).rejects.toThrow(/no interrupted run "discarded-1"/);
  });
});

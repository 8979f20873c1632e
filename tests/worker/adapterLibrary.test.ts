import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAsBlob } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/worker/engine';
import { FsStorage } from '../../src/worker/storage/fsStorage';
import { MemoryStorage, type LabStorage } from '../../src/worker/storage/labStorage';
import { exportPeft, importPeftValues } from '../../src/model/lora/loraPeft';
import { loraLayout, type LoraConfig } from '../../src/model/lora/lora';
import { buildTinyModel, writeGguf } from '../../src/formats/gguf';
import { nodeEvaluationEnvironment } from '../../src/eval/nodeEnvironment';
import type { ExportedFile, ModelInfo } from '../../src/worker/api';
import { randomF32 } from '../../src/util/random';
import { testGpu } from '../setup/testGpu';
import { storiesVocabulary, STORIES_PATH } from '../train/fixtures';

/**
 * The adapters library and kept model files, as a reloaded page sees them: a fresh Engine over the same storage.
 * The adapters here are PEFT files with seeded random values (no training: that is tests/worker/resume.test.ts).
 */
let dir: string;
let stories: File;
let info: ModelInfo;
const lora: LoraConfig = { rank: 4, alpha: 8, dropout: 0, targets: ['q', 'v', 'down'], seed: 0 };
let values: Float32Array;
const prompt = { prompt: 'Once upon a time', maxTokens: 6, temperature: 0 };

async function engineOver(storage: LabStorage = new FsStorage(dir)): Promise<Engine> {
  const engine = new Engine(testGpu, nodeEvaluationEnvironment(), storage);
  await engine.init();
  return engine;
}

const asFiles = (files: ExportedFile[]) => files.map((f) => new File([f.blob], f.name));
const bytesOf = async (files: ExportedFile[]) =>
  Promise.all(files.map(async (f) => [f.name, [...new Uint8Array(await f.blob.arrayBuffer())]]));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lora-lab-library-'));
  stories = new File([await openAsBlob(STORIES_PATH)], 'stories260K.gguf');
  const engine = await engineOver();
  info = await engine.loadModel(stories, 'load');
  // Seeded random A and B, large enough to change greedy text; read back once so the layout's alignment padding
  // between slots holds zeros, as any adapter's does.
  const random = randomF32(loraLayout(info.config, lora).totalFloats, 11, 0.5);
  values = (await importPeftValues(info.config, exportPeft(info.config, lora, random, 'stories260K.gguf'))).values;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('adapters library', { timeout: 300_000 }, () => {
  it('keeps an imported adapter across a new engine, which loads it to the GPU when chosen', async () => {
    const first = await engineOver();
    await first.loadModel(stories, 'load');
    const peft = exportPeft(info.config, lora, values, 'stories260K.gguf');
    const summary = await first.importAdapter(
      [new File([peft.config], 'adapter_config.json'), new File([peft.weights], 'adapter_model.safetensors')],
      'random',
    );
    expect(summary).toMatchObject({
      name: 'random',
      status: 'imported',
      steps: 0,
      lora: { rank: 4, alpha: 8, targets: ['q', 'v', 'down'] },
    });
    expect(summary.baseModel).toEqual(info.identity);

    const reloaded = await engineOver();
    await reloaded.loadModel(stories, 'load');
    expect((await reloaded.adapters()).map((a) => a.id)).toEqual([summary.id]);
    const base = await reloaded.generate(prompt, 'g-base');
    expect(await reloaded.adapterInUse()).toBeNull();
    await reloaded.useAdapter(summary.id);
    expect(await reloaded.adapterInUse()).toBe(summary.id);
    const tuned = await reloaded.generate(prompt, 'g-tuned');
    expect(tuned.tokens).not.toEqual(base.tokens);
    await reloaded.useAdapter(null);
    expect(await reloaded.adapterInUse()).toBeNull();
    expect((await reloaded.generate(prompt, 'g-base-again')).text).toBe(base.text);
  });

  it('exports the PEFT files, and export → import → export is bit-exact', async () => {
    const engine = await engineOver();
    await engine.loadModel(stories, 'load');
    const [original] = await engine.adapters();
    const exported = await engine.exportAdapter(original.id);
    expect(exported.map((f) => f.name)).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const back = await importPeftValues(info.config, { config: await exported[0].blob.text(), weights: exported[1].blob });
    expect(back.values).toEqual(values);
    const imported = await engine.importAdapter(asFiles(exported), 'round trip');
    expect(imported.id).not.toBe(original.id);
    expect(await bytesOf(await engine.exportAdapter(imported.id))).toEqual(await bytesOf(exported));
    await engine.useAdapter(original.id);
    const a = await engine.generate(prompt, 'g-a');
    await engine.useAdapter(imported.id);
    expect((await engine.generate(prompt, 'g-b')).tokens).toEqual(a.tokens);
  });

  it("refuses an adapter made for another model's shapes, storing nothing", async () => {
    const engine = await engineOver();
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
    await engine.loadModel(new File([writeGguf(tiny.metadata, tiny.tensors)], 'tiny.gguf'), 'load');
    const before = (await engine.adapters()).length;
    const [first] = await engine.adapters();
    const files = asFiles(await engine.exportAdapter(first.id));
    await expect(engine.importAdapter(files, 'wrong')).rejects.toThrow(/has shape \[.*\], this model needs \[.*\].*different base model/s);
    await expect(engine.importAdapter(files.slice(0, 1), 'half')).rejects.toThrow(
      /Choose both adapter_config.json and adapter_model.safetensors/,
    );
    await expect(engine.importAdapter([files[0], new File(['not safetensors'], 'adapter_model.safetensors')], 'bad')).rejects.toThrow(
      /adapter_model.safetensors/,
    );
    expect((await engine.adapters()).length).toBe(before);
  });

  it('names evaluation runs after the adapter in use and lists them with it', async () => {
    const engine = await engineOver();
    await engine.loadModel(stories, 'load');
    const [adapter] = await engine.adapters();
    await engine.useAdapter(adapter.id);
    const outcome = await engine.evaluate({ benchmark: { kind: 'samples' }, count: 1, maxNewTokens: 2, runId: 'with-adapter' }, 'eval');
    expect(outcome.run.generator.name).toBe('stories260K.gguf + random');
    await engine.useAdapter(null);
    await engine.evaluate({ benchmark: { kind: 'samples' }, count: 1, maxNewTokens: 2, runId: 'base' }, 'eval-base');
    const runs = await engine.evaluationRuns();
    expect(runs.find((r) => r.run.id === 'with-adapter')?.adapter).toEqual({ id: adapter.id, name: 'random' });
    expect(runs.find((r) => r.run.id === 'base')?.adapter).toBeUndefined();
    expect((await engine.adapters()).find((a) => a.id === adapter.id)?.evaluationRunIds).toEqual(['with-adapter']);
  });

  it('deletes an adapter, falling back to the base model when it was in use', async () => {
    const engine = await engineOver();
    await engine.loadModel(stories, 'load');
    const base = await engine.generate(prompt, 'g-base');
    const [adapter] = await engine.adapters();
    await engine.useAdapter(adapter.id);
    await engine.deleteAdapter(adapter.id);
    expect((await engine.generate(prompt, 'g-after')).text).toBe(base.text);
    expect((await engine.adapters()).map((a) => a.id)).not.toContain(adapter.id);
    await expect(engine.useAdapter(adapter.id)).rejects.toThrow(/no adapter .* in the library/);
  });
});

describe('adapters on the GPU', { timeout: 300_000 }, () => {
  it('keeps only the adapter in use and the last one used before it, and none once another model loads', async () => {
    const engine = await engineOver(new MemoryStorage());
    await engine.loadModel(stories, 'load');
    const peft = exportPeft(info.config, lora, values, 'stories260K.gguf');
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c'])
      ids.push(
        (await engine.importAdapter([new File([peft.config], 'adapter_config.json'), new File([peft.weights], 'x.safetensors')], name)).id,
      );
    // The Gpu is shared by this file's engines: count this engine's adapters as a difference.
    const loraBytes = async () => (await engine.memory()).byCategory.lora ?? 0;
    const before = await loraBytes();
    await engine.useAdapter(ids[0]);
    const one = (await loraBytes()) - before;
    expect(one).toBeGreaterThanOrEqual(loraLayout(info.config, lora).totalFloats * 4);
    await engine.useAdapter(ids[1]);
    await engine.useAdapter(ids[2]);
    expect((await loraBytes()) - before).toBe(2 * one);
    await engine.useAdapter(ids[0]);
    expect((await loraBytes()) - before).toBe(2 * one);
    await engine.loadModel(stories, 'reload');
    expect((await loraBytes()) - before).toBe(0);
  });
});

describe('model files kept in storage', { timeout: 300_000 }, () => {
  it('keeps the loaded file, and a new engine loads it from storage as the same model', async () => {
    const storage = new MemoryStorage();
    const engine = await engineOver(storage);
    const messages = new Set<string | undefined>();
    const loaded = await engine.loadModel(stories, 'load', (p) => messages.add(p.message), { keep: true });
    expect(messages.has('keeping')).toBe(true);
    expect((await engine.keptModels()).map((m) => [m.name, m.bytes, m.identity])).toEqual([
      ['stories260K.gguf', stories.size, loaded.identity],
    ]);

    const reloaded = await engineOver(storage);
    const again = await reloaded.loadKeptModel('stories260K.gguf', 'load-kept');
    expect(again.identity).toEqual(loaded.identity);
    expect((await reloaded.generate(prompt, 'g')).text).toBe(', there was a little g');
    await reloaded.forgetModel('stories260K.gguf');
    expect(await reloaded.keptModels()).toEqual([]);
    await expect(reloaded.loadKeptModel('stories260K.gguf', 'load-gone')).rejects.toThrow(/no kept model "stories260K.gguf"/);
  });

  it('refuses to keep a file the quota cannot hold before loading it', async () => {
    const engine = await engineOver(new MemoryStorage(100_000));
    await expect(engine.loadModel(stories, 'load', undefined, { keep: true })).rejects.toThrow(
      /keeping it needs 0\.00 GiB, the browser allows this site 0\.00 GiB more/,
    );
    expect(await engine.modelInfo()).toBeUndefined();
  });
});

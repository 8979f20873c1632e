import { beforeAll, describe, expect, it } from 'vitest';
import { openAsBlob } from 'node:fs';
import { Engine } from '../../src/worker/engine';
import { MemoryStorage, type LabStorage } from '../../src/worker/storage/labStorage';
import { exportPeft, importPeftValues } from '../../src/model/lora/loraPeft';
import { exportGgufLora, importGgufLoraValues } from '../../src/model/lora/loraGguf';
import { loraLayout, type LoraConfig } from '../../src/model/lora/lora';
import { projectionTensorName } from '../../src/model/tensorNames';
import { readGguf, readTensorBytes, type GgufFile } from '../../src/formats/gguf';
import { dequantize } from '../../src/formats/quant';
import { nodeEvaluationEnvironment } from '../../src/eval/nodeEnvironment';
import type { ModelInfo, Progress } from '../../src/worker/api';
import { randomF32 } from '../../src/util/random';
import { testGpu } from '../setup/testGpu';
import { STORIES_PATH } from '../train/fixtures';

/** GGUF LoRA import and export, and the merged-model export, through the engine the page's worker runs. */
let stories: File;
let base: GgufFile;
let info: ModelInfo;
const lora: LoraConfig = { rank: 4, alpha: 8, dropout: 0, targets: ['q', 'v', 'down'], seed: 0 };
let values: Float32Array;

async function engineWith(storage: LabStorage = new MemoryStorage()): Promise<Engine> {
  const engine = new Engine(testGpu, nodeEvaluationEnvironment(), storage);
  await engine.init();
  info = await engine.loadModel(stories, 'load');
  return engine;
}

const ggufFile = () => new File([exportGgufLora(info.config, lora, values, 'random')], 'random-lora.gguf');

beforeAll(async () => {
  stories = new File([await openAsBlob(STORIES_PATH)], 'stories260K.gguf');
  base = await readGguf(stories);
  await engineWith();
  // Read back through PEFT once so the alignment padding between slots holds zeros, as any adapter's does.
  values = (
    await importPeftValues(info.config, exportPeft(info.config, lora, randomF32(loraLayout(info.config, lora).totalFloats, 5, 0.5), 'x'))
  ).values;
});

describe('GGUF adapters in the lab', { timeout: 300_000 }, () => {
  it('imports a llama.cpp LoRA GGUF like a PEFT pair, and exports it back as the same values', async () => {
    const engine = await engineWith();
    const summary = await engine.importAdapter([ggufFile()], 'from-llama.cpp');
    expect(summary).toMatchObject({ name: 'from-llama.cpp', status: 'imported', lora: { rank: 4, alpha: 8, targets: ['q', 'v', 'down'] } });
    const [peftConfig] = await engine.exportAdapter(summary.id);
    expect(peftConfig.name).toBe('adapter_config.json');
    const [gguf] = await engine.exportAdapter(summary.id, 'gguf-lora');
    expect(gguf.name).toBe('from-llama.cpp-lora.gguf');
    expect((await importGgufLoraValues(info.config, gguf.blob)).values).toEqual(values);
    await engine.useAdapter(summary.id);
    expect(await engine.adapterInUse()).toBe(summary.id);
  });

  it('refuses a GGUF that is a model, not an adapter, and stores nothing', async () => {
    const engine = await engineWith();
    await expect(
      engine.importAdapter([stories.slice(0, stories.size, '') as Blob].map((b) => new File([b], 'model.gguf'))),
    ).rejects.toThrow(/not "adapter" and "lora"/);
    expect(await engine.adapters()).toEqual([]);
  });

  it('merges into a standalone GGUF: adapted weights are W + scale·B·A in the chosen format, the rest copied byte for byte', async () => {
    const storage = new MemoryStorage();
    const engine = await engineWith(storage);
    const { id } = await engine.importAdapter([ggufFile()]);
    const progress: Progress[] = [];
    const merged = await engine.exportMergedModel(id, 'F32', 'merge', (p) => progress.push(p));
    expect(merged.name).toBe('stories260K-imported-F32.gguf');
    expect(progress.at(-1)).toMatchObject({ done: merged.blob.size, total: merged.blob.size, unit: 'bytes' });
    const file = await readGguf(merged.blob);
    expect([...file.metadata.keys()]).toEqual([...base.metadata.keys()]);
    expect(file.tensors.map((t) => [t.name, t.dims])).toEqual(base.tensors.map((t) => [t.name, t.dims]));
    const slots = new Map(loraLayout(info.config, lora).slots.map((s) => [projectionTensorName(s.layer, s.projection), s]));
    const scale = lora.alpha / lora.rank;
    let worst = 0;
    for (const [i, t] of file.tensors.entries()) {
      const original = await readTensorBytes(stories, base.tensors[i]);
      const slot = slots.get(t.name);
      if (!slot) {
        expect(await readTensorBytes(merged.blob, t), t.name).toEqual(original);
        continue;
      }
      const w = dequantize('F32', original, slot.inFeatures * slot.outFeatures);
      const got = dequantize('F32', await readTensorBytes(merged.blob, t), w.length);
      for (let o = 0; o < slot.outFeatures; o++) {
        for (let c = 0; c < slot.inFeatures; c++) {
          let delta = 0;
          for (let r = 0; r < lora.rank; r++)
            delta += values[slot.bOffset + o * lora.rank + r] * values[slot.aOffset + r * slot.inFeatures + c];
          worst = Math.max(worst, Math.abs(got[o * slot.inFeatures + c] - (w[o * slot.inFeatures + c] + scale * delta)));
        }
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('writes Q8_0 (F32 where a row is not whole blocks) and keeps only the latest export in storage', async () => {
    const storage = new MemoryStorage();
    const engine = await engineWith(storage);
    const { id } = await engine.importAdapter([ggufFile()]);
    await engine.exportMergedModel(id, 'F32', 'merge');
    const merged = await engine.exportMergedModel(id, 'Q8_0', 'merge');
    const types = Object.fromEntries((await readGguf(merged.blob)).tensors.map((t) => [t.name, t.type.name]));
    expect(types['blk.0.attn_q.weight']).toBe('Q8_0');
    expect(types['blk.0.ffn_down.weight']).toBe('F32');
    expect(types['blk.0.attn_k.weight']).toBe('F32');
    expect(await storage.list('exports')).toEqual([merged.name]);
  });

  it('stops when cancelled, leaving no file', async () => {
    const storage = new MemoryStorage();
    const engine = await engineWith(storage);
    const { id } = await engine.importAdapter([ggufFile()]);
    let cancelled = false;
    const job = engine.exportMergedModel(id, 'Q8_0', 'merge', () => {
      if (!cancelled) void engine.cancel('merge');
      cancelled = true;
    });
    await expect(job).rejects.toThrow(/cancelled by the user/);
    expect(await storage.list('exports')).toEqual([]);
  });

  it('checks the storage can hold the merged model before it starts', async () => {
    const engine = await engineWith(new MemoryStorage(stories.size / 2));
    const { id } = await engine.importAdapter([ggufFile()]);
    await expect(engine.exportMergedModel(id, 'F32', 'merge')).rejects.toThrow(
      /the merged model needs [\d.]+ [KM]iB, the browser allows this site [\d.]+ [KM]iB more/,
    );
  });
});

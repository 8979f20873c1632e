import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPageModules, type PageModules } from '../setup/pageModules';

/**
 * The lab's storage where the page keeps it: the origin-private file system of headless Chromium (Node has none).
 * The same scenarios as the Node storages, plus what only the browser has: a quota estimate and a fresh
 * `OpfsStorage` (as after a reload) finding what an earlier one wrote.
 */
const STORAGE_SCENARIO = `
import { OpfsStorage, browserLabStorage } from '/src/worker/storage/opfsStorage';
import { WRITE_CHUNK_BYTES } from '/src/worker/storage/labStorage';
const messageOf = (promise) => promise.then(() => 'no error', (e) => e.message);
export async function run() {
  const storage = new OpfsStorage();
  await storage.remove('t');
  await storage.write('t/runs/a-1/run.json', '{"x":1}');
  await storage.write('t/runs/b-2/data.bin', new Blob([new Uint8Array([1, 2, 3])]));
  await storage.write('t/runs/a-1/run.json', '{"x":2}');
  const size = WRITE_CHUNK_BYTES * 2 + 5;
  const progress = [];
  await storage.write('t/models/m/model.gguf', new Blob([new Uint8Array(size).fill(7)]), { onProgress: (done) => progress.push(done) });
  const controller = new AbortController();
  const aborted = await messageOf(storage.write('t/models/m/model.gguf', new Blob([new Uint8Array(size)]), { signal: controller.signal, onProgress: () => controller.abort(new Error('stop')) }));
  const reopened = new OpfsStorage();
  const model = new Uint8Array(await (await reopened.read('t/models/m/model.gguf')).arrayBuffer());
  const result = {
    runJson: await (await reopened.read('t/runs/a-1/run.json')).text(),
    data: [...new Uint8Array(await (await reopened.read('t/runs/b-2/data.bin')).arrayBuffer())],
    runs: await reopened.list('t/runs'),
    missingFile: (await reopened.read('t/runs/a-1/none.json')) === undefined,
    missingFolder: (await reopened.read('t/none/x.json')) === undefined,
    emptyList: await reopened.list('t/none'),
    progress, size, aborted, modelSize: model.length, modelLast: model[size - 1],
    badPath: await messageOf(reopened.write('t/../escape', 'x')),
    usage: await reopened.usage(),
    persist: await reopened.persist(),
    pageStorageIsOpfs: browserLabStorage() instanceof OpfsStorage,
  };
  await reopened.remove('t/runs');
  await reopened.remove('t/never');
  result.afterRemove = await reopened.list('t');
  await reopened.remove('t');
  return result;
}
`;

const LIBRARY_SCENARIO = `
import { OpfsStorage } from '/src/worker/storage/opfsStorage';
import { AdapterLibrary } from '/src/worker/adapterLibrary';
import { KeptModels } from '/src/worker/keptModels';
import { modelIdentity } from '/src/worker/modelIdentity';
export async function run() {
  const storage = new OpfsStorage();
  await storage.remove('adapters');
  await storage.remove('models');
  const summary = { id: 'a-1', name: 'a', status: 'imported', lora: { rank: 2, alpha: 4, dropout: 0, targets: ['q'], seed: 0 }, steps: 0, metrics: [], trainExamples: 0, evaluationRunIds: [], createdAt: '2025-01-01T00:00:00.000Z' };
  await new AdapterLibrary(storage).save(summary, { config: '{"r":2}', weights: new Blob([new Uint8Array([9, 8, 7])]) });
  await new AdapterLibrary(storage).addEvaluationRun('a-1', 'run-1');
  const library = new AdapterLibrary(new OpfsStorage());
  const files = await library.files('a-1');
  const modelBytes = new Uint8Array(4096).map((_, i) => i % 256);
  const identity = await modelIdentity(new Blob([modelBytes]), 'Tiny model.gguf', 100);
  await new KeptModels(storage).keep(new File([modelBytes], 'Tiny model.gguf'), 'Tiny model.gguf', identity);
  const kept = new KeptModels(new OpfsStorage());
  const opened = await kept.open('Tiny model.gguf');
  const result = {
    adapters: await library.list(),
    config: files.config,
    weights: [...new Uint8Array(await files.weights.arrayBuffer())],
    kept: await kept.list(),
    identity,
    openedName: opened.name,
    openedSame: [...new Uint8Array(await opened.arrayBuffer())].every((b, i) => b === modelBytes[i]) && opened.size === modelBytes.length,
  };
  await library.delete('a-1');
  await kept.forget('Tiny model.gguf');
  result.afterDelete = { adapters: await library.list(), kept: await kept.list() };
  return result;
}
`;

let modules: PageModules;

beforeAll(async () => {
  modules = await openPageModules({ '/storage.js': STORAGE_SCENARIO, '/library.js': LIBRARY_SCENARIO });
});

afterAll(async () => {
  await modules?.close();
});

describe("lab storage in Chromium's OPFS", () => {
  it('writes, replaces, lists and removes by path; a fresh storage object finds it all; large files go in chunks', async () => {
    const r = await modules.run<
      Record<string, unknown> & { size: number; usage: { usageBytes: number; quotaBytes: number; persisted: boolean } }
    >('/storage.js');
    expect(r.runJson).toBe('{"x":2}');
    expect(r.data).toEqual([1, 2, 3]);
    expect(r.runs).toEqual(['a-1', 'b-2']);
    expect([r.missingFile, r.missingFolder, r.emptyList]).toEqual([true, true, []]);
    expect(r.progress).toEqual([16 << 20, 32 << 20, r.size]);
    expect(r.aborted).toBe('stop');
    expect([r.modelSize, r.modelLast]).toEqual([r.size, 7]);
    expect(r.badPath).toMatch(/not a plain file name/);
    expect(r.usage.quotaBytes).toBeGreaterThan(0);
    expect(typeof r.usage.persisted).toBe('boolean');
    expect(typeof r.persist).toBe('boolean');
    expect(r.pageStorageIsOpfs).toBe(true);
    expect(r.afterRemove).toEqual(['models']);
  });

  it('keeps the adapters library and kept model files across storage objects (a reload)', async () => {
    const r = await modules.run<Record<string, unknown> & { adapters: { id: string; evaluationRunIds: string[] }[]; identity: unknown }>(
      '/library.js',
    );
    expect(r.adapters.map((a) => [a.id, a.evaluationRunIds])).toEqual([['a-1', ['run-1']]]);
    expect(r.config).toBe('{"r":2}');
    expect(r.weights).toEqual([9, 8, 7]);
    expect(r.kept).toMatchObject([{ name: 'Tiny model.gguf', bytes: 4096, identity: r.identity }]);
    expect([r.openedName, r.openedSame]).toEqual(['Tiny model.gguf', true]);
    expect(r.afterDelete).toEqual({ adapters: [], kept: [] });
  });
});

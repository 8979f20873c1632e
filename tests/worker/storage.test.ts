import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStorage, WRITE_CHUNK_BYTES, storageName, type LabStorage } from '../../src/worker/storage/labStorage';
import { FsStorage } from '../../src/worker/storage/fsStorage';
import { PackedRowsFile, PackedRowsWriter } from '../../src/worker/storage/packedRowsFile';
import { KeptModels } from '../../src/worker/keptModels';
import { TrainingRuns } from '../../src/worker/training';
import { AdapterLibrary } from '../../src/worker/adapterLibrary';
import { modelIdentity, requireModel } from '../../src/worker/modelIdentity';
import { randomPackedRow, rowsIn } from '../train/fixtures';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lora-lab-storage-'));
  dirs.push(dir);
  return dir;
}

const kinds: [string, () => LabStorage][] = [
  ['memory', () => new MemoryStorage()],
  ['a directory', () => new FsStorage(tempDir())],
];

describe.each(kinds)('lab storage in %s', (_, make) => {
  it('reads back what was written, by path, and lists folders', async () => {
    const storage = make();
    await storage.write('runs/a-1/run.json', '{"x":1}');
    await storage.write('runs/a-1/data.bin', new Blob([new Uint8Array([1, 2, 3])]));
    await storage.write('runs/b-2/run.json', '{}');
    expect(await (await storage.read('runs/a-1/run.json'))!.text()).toBe('{"x":1}');
    expect([...new Uint8Array(await (await storage.read('runs/a-1/data.bin'))!.arrayBuffer())]).toEqual([1, 2, 3]);
    expect(await storage.list('runs')).toEqual(['a-1', 'b-2']);
    expect(await storage.list('runs/a-1')).toEqual(['data.bin', 'run.json']);
    expect(await storage.list('nothing')).toEqual([]);
    expect(await storage.read('runs/a-1/missing.json')).toBeUndefined();
    expect(await storage.read('nothing/at/all')).toBeUndefined();
  });

  it('keeps a scratch file for appends and reads at any offset, which a later open finds again', async () => {
    const storage = make();
    const file = await storage.openScratch('datasets/c/rows');
    const big = new Uint8Array((3 << 20) + 7).map((_, i) => i % 253);
    file.append(new Uint8Array([1, 2, 3]));
    file.append(big);
    file.append(new Uint8Array([9]));
    expect(file.size).toBe(big.length + 4);
    expect([...file.read(new Uint8Array(4), 1)]).toEqual([2, 3, 0, 1]);
    expect([...file.read(new Uint8Array(2), big.length + 2)]).toEqual([big.at(-1), 9]);
    expect(() => file.read(new Uint8Array(2), big.length + 3)).toThrow(/asked of a file of/);
    file.truncate(3);
    file.append(new Uint8Array([4]));
    file.close();
    const again = await storage.openScratch('datasets/c/rows');
    expect([...again.read(new Uint8Array(4), 0)]).toEqual([1, 2, 3, 4]);
    again.close();
    expect(await storage.list('datasets/c')).toEqual(['rows']);
    await storage.remove('datasets');
    expect(await storage.list('datasets')).toEqual([]);
  });

  it('replaces a file whole, and removes folders with their files', async () => {
    const storage = make();
    await storage.write('a/f.txt', 'a much longer first version');
    await storage.write('a/f.txt', 'short');
    expect(await (await storage.read('a/f.txt'))!.text()).toBe('short');
    await storage.remove('a');
    await storage.remove('never-was');
    expect(await storage.read('a/f.txt')).toBeUndefined();
    expect(await storage.list('a')).toEqual([]);
  });

  it('writes a large file in chunks, reporting progress, and a cancelled write keeps the old file', async () => {
    const storage = make();
    const size = WRITE_CHUNK_BYTES * 2 + 5;
    const big = new Blob([new Uint8Array(size).fill(7)]);
    const progress: number[] = [];
    await storage.write('models/m/model.gguf', big, { onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([WRITE_CHUNK_BYTES, 2 * WRITE_CHUNK_BYTES, size]);
    expect((await storage.read('models/m/model.gguf'))!.size).toBe(size);
    const controller = new AbortController();
    const write = storage.write('models/m/model.gguf', new Blob([new Uint8Array(size)]), {
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('stop')),
    });
    await expect(write).rejects.toThrow('stop');
    const kept = new Uint8Array(await (await storage.read('models/m/model.gguf'))!.arrayBuffer());
    expect(kept.length).toBe(size);
    expect(kept[size - 1]).toBe(7);
  });

  it('refuses paths that could leave its root', async () => {
    const storage = make();
    for (const path of ['../x', 'runs/../../x', 'a//b', '/abs', 'a/./b']) {
      await expect(storage.write(path, 'x'), path).rejects.toThrow(/not a plain file name/);
    }
  });
});

describe('storage names', () => {
  it("keeps a user's file name readable and safe as one path part", () => {
    expect(storageName('Mistral 7B (Q4_K_M).gguf')).toBe('Mistral_7B_Q4_K_M_.gguf');
    expect(storageName('..')).toBe('_');
    expect(storageName('')).toBe('_');
  });
});

describe("packed rows file (a run's prepared data)", () => {
  const seqLen = 16;
  const train = [randomPackedRow(seqLen, [5, 7], 100, 1), randomPackedRow(seqLen, [16], 100, 2), randomPackedRow(seqLen, [3], 100, 3)];
  const validation = [randomPackedRow(seqLen, [9, 4], 100, 4)];

  async function written(rows: { train: typeof train; validation: typeof train }, stages?: { name: string; rows: number }[]) {
    const file = await new MemoryStorage().openScratch('runs/x/data.bin');
    const writer = new PackedRowsWriter(file, seqLen);
    for (const split of ['train', 'validation'] as const) for (const row of rows[split]) writer.add(row, split);
    return { file, rows: writer.finish(stages) };
  }

  it('round-trips both splits exactly, a row at a time, with curriculum stages', async () => {
    const stages = [
      { name: 'normal', rows: 2 },
      { name: 'hard', rows: 1 },
    ];
    const back = (await written({ train, validation }, stages)).rows;
    expect(back.seqLen).toBe(seqLen);
    expect(rowsIn(back.train)).toEqual(train);
    expect(rowsIn(back.validation)).toEqual(validation);
    expect(back.train.at(3)).toBeUndefined();
    expect(back.stages).toEqual(stages);
    const plain = (await written({ train, validation: [] })).rows;
    expect(plain.validation.length).toBe(0);
    expect(plain.stages).toBeUndefined();
  });

  it('refuses a cut-short or foreign file, saying what to do', async () => {
    const { file } = await written({ train, validation });
    file.truncate(file.size - 3);
    expect(() => PackedRowsFile.open(file, 'runs/x/data.bin')).toThrow(/runs\/x\/data.bin: .*(cut short|footer).*Discard this run/s);
    const foreign = await new MemoryStorage().openScratch('f');
    foreign.append(new TextEncoder().encode('{"not":"rows"}'));
    expect(() => PackedRowsFile.open(foreign, 'runs/x/data.bin')).toThrow(/footer|format/);
  });

  it('refuses a row of another length, and training rows after held-out ones', async () => {
    const writer = new PackedRowsWriter(await new MemoryStorage().openScratch('d'), seqLen);
    expect(() => writer.add(randomPackedRow(8, [8], 50, 1), 'train')).toThrow(/8 tokens in a file of rows of 16/);
    writer.add(validation[0], 'validation');
    expect(() => writer.add(train[0], 'train')).toThrow(/after the held-out rows/);
  });
});

describe('model identity', () => {
  const header = new Uint8Array(100).fill(1);
  const data = new Uint8Array(3 << 20).map((_, i) => i % 251);
  const file = new Blob([header, data]);

  it('is the same for a renamed copy and differs when the header, the first or the last tensor bytes differ', async () => {
    const a = await modelIdentity(file, 'a.gguf', 100);
    expect((await modelIdentity(file, 'renamed.gguf', 100)).fingerprint).toBe(a.fingerprint);
    const changed = (at: number) => {
      const bytes = new Uint8Array(file.size);
      bytes.set(header);
      bytes.set(data, 100);
      bytes[at] ^= 1;
      return modelIdentity(new Blob([bytes]), 'a.gguf', 100);
    };
    for (const at of [3, 100, file.size - 1]) expect((await changed(at)).fingerprint, `byte ${at}`).not.toBe(a.fingerprint);
  });

  it('refuses another model, naming the file to load', async () => {
    const wanted = await modelIdentity(file, 'base.gguf', 100);
    const other = await modelIdentity(file.slice(0, file.size - 1), 'other.gguf', 100);
    expect(() => requireModel(other, wanted, 'resume')).toThrow(
      /needs the model "base.gguf".*"other.gguf" \(.*\) is loaded.*Load base.gguf/s,
    );
    expect(() => requireModel(undefined, wanted, 'resume')).toThrow(/no model is loaded.*Load base.gguf/s);
    expect(() => requireModel({ ...wanted, fileName: 'copy.gguf' }, wanted, 'resume')).not.toThrow();
  });
});

describe('kept models', () => {
  const identity = { fileName: 'm.gguf', fileBytes: 10, fingerprint: 'ab' };

  it('refuses a file larger than the quota left, with the numbers, before writing anything', async () => {
    const storage = new MemoryStorage(2 ** 30);
    await storage.write('other/file', new Blob([new Uint8Array(1000)]));
    const kept = new KeptModels(storage);
    const huge = { size: 2 ** 30 } as Blob;
    await expect(kept.keep(huge, 'huge.gguf', identity)).rejects.toThrow(
      /needs 1\.00 GiB, the browser allows this site 1\.00 GiB more \(0\.00 GiB used of 1\.00 GiB\)/,
    );
    expect(await storage.list('models')).toEqual([]);
  });

  it('lists, opens under the original name, and forgets a kept file', async () => {
    const kept = new KeptModels(new MemoryStorage());
    const bytes = new Uint8Array(10).map((_, i) => i);
    await kept.keep(new Blob([bytes]), 'My model.gguf', identity);
    expect((await kept.list()).map((m) => [m.name, m.bytes, m.identity])).toEqual([['My model.gguf', 10, identity]]);
    const file = await kept.open('My model.gguf');
    expect(file.name).toBe('My model.gguf');
    expect([...new Uint8Array(await file.arrayBuffer())]).toEqual([...bytes]);
    await kept.forget('My model.gguf');
    expect(await kept.list()).toEqual([]);
    await expect(kept.open('My model.gguf')).rejects.toThrow(/no kept model "My model.gguf"/);
  });
});

describe('training runs in storage', () => {
  it('clears away a run cut off while it was being stored, and leaves one another tab is storing', async () => {
    const storage = new MemoryStorage();
    const record = (id: string, minutesAgo: number) =>
      JSON.stringify({ id, status: 'storing', updatedAt: new Date(Date.now() - minutesAgo * 60_000).toISOString() });
    await storage.write('runs/abandoned-1/run.json', record('abandoned-1', 11));
    await storage.write('runs/storing-1/run.json', record('storing-1', 1));
    const runs = new TrainingRuns(storage, new AdapterLibrary(storage));
    expect(await runs.interrupted()).toEqual([]);
    expect(await storage.list('runs')).toEqual(['storing-1']);
  });

  it('names a new run after the request, unused by runs and adapters', async () => {
    const storage = new MemoryStorage();
    await storage.write('runs/my_run-1/run.json', '{}');
    await storage.write('adapters/my_run-2/info.json', '{}');
    expect(await new TrainingRuns(storage, new AdapterLibrary(storage)).newId('my run')).toBe('my_run-3');
  });
});

import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { LabError } from '../../src/errors';
import { randomF32 } from '../../src/util/random';
import { KV_STORE_SKIP, kvStore, type KvStoreShape } from '../../src/kernels/kvStore';
import { kvStoreReference } from '../../src/kernels/reference/kvStore';
import { STORED_PRECISIONS, storedBytes, type StoredPrecision } from '../../src/kernels/storedValues';

/** Random words: whatever a cache held before (f32 bits or f16 pairs alike). */
function randomWords(count: number, seed: number): Uint32Array {
  return new Uint32Array(randomF32(count, seed).buffer);
}

/** Runs kvStore on random rows and caches of `slots` slots; returns the GPU's caches and the reference's (stored words). */
async function run(shape: KvStoreShape, at: number[], slots: number, storage: StoredPrecision, seed: number) {
  const gpu = await testGpu();
  const { rows, rowValues, slotValues } = shape;
  const k = randomF32(rows * rowValues, seed);
  const v = randomF32(rows * rowValues, seed + 1);
  const words = storedBytes(slots * slotValues, storage) / 4;
  const keys = randomWords(words, seed + 2);
  const values = randomWords(words, seed + 3);
  const atU32 = Uint32Array.from(at);
  const bufs = {
    at: gpu.upload(atU32, { label: 'at' }),
    k: gpu.upload(k, { label: 'k' }),
    v: gpu.upload(v, { label: 'v' }),
    keys: gpu.upload(keys, { label: 'keys' }),
    values: gpu.upload(values, { label: 'values' }),
  };
  const rec = gpu.recorder();
  kvStore(rec, bufs, shape, { storage });
  rec.submit();
  const got = { keys: await gpu.readU32(bufs.keys, words), values: await gpu.readU32(bufs.values, words) };
  for (const b of Object.values(bufs)) gpu.buffers.free(b);
  return { got, want: kvStoreReference(atU32, k, v, keys, values, shape, storage), keys };
}

function expectSameWords(got: Uint32Array, want: Uint32Array, context: string): void {
  expect(got.length, context).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) expect.fail(`${context}: word ${i} is ${got[i].toString(16)}, the reference stores ${want[i].toString(16)}`);
  }
}

describe("KV store (a step's key/value rows written into their cache slots)", () => {
  for (const storage of STORED_PRECISIONS) {
    describe(`stored as ${storage}`, () => {
      it('writes each row at its position of its slot and nothing else, skipping rows marked SKIP', async () => {
        // 24 values per row (less than a 64-thread workgroup), 7 positions per slot, rows into slots 1..3 of 5.
        const seed = 900;
        const shape = { rows: 3, rowValues: 24, slotValues: 7 * 24, firstSlot: 1 };
        const { got, want, keys } = await run(shape, [6, KV_STORE_SKIP, 0], 5, storage, seed);
        expectSameWords(got.keys, want.keys, `keys seed ${seed}`);
        expectSameWords(got.values, want.values, `values seed ${seed}`);
        // The skipped row's slot 2 is as it was.
        const slotWords = storedBytes(168, storage) / 4;
        expect(got.keys.subarray(2 * slotWords, 3 * slotWords)).toEqual(keys.subarray(2 * slotWords, 3 * slotWords));
      });

      it('covers rows longer than one workgroup (272 values: three workgroups of pairs, the last partly idle)', async () => {
        const seed = 901;
        const shape = { rows: 8, rowValues: 272, slotValues: 4 * 272, firstSlot: 0 };
        const { got, want } = await run(shape, [3, 0, 1, 2, 3, 0, KV_STORE_SKIP, 2], 8, storage, seed);
        expectSameWords(got.keys, want.keys, `keys seed ${seed}`);
        expectSameWords(got.values, want.values, `values seed ${seed}`);
      });

      it('fills consecutive positions of one slot with oneSlot (a prefill step into a one-sequence cache)', async () => {
        const seed = 902;
        const shape = { rows: 5, rowValues: 16, slotValues: 9 * 16, firstSlot: 0, oneSlot: true };
        const { got, want } = await run(shape, [3, 4, 5, 6, 7], 1, storage, seed);
        expectSameWords(got.keys, want.keys, `keys seed ${seed}`);
        expectSameWords(got.values, want.values, `values seed ${seed}`);
      });
    });
  }

  it('refuses slots that do not hold a whole number of rows, odd rows, and no rows', async () => {
    const gpu = await testGpu();
    const buf = gpu.alloc(64, { label: 'unused' });
    const rec = gpu.recorder();
    const bufs = { at: buf, k: buf, v: buf, keys: buf, values: buf };
    const storage = 'f16-packed';
    expect(() => kvStore(rec, bufs, { rows: 2, rowValues: 24, slotValues: 30, firstSlot: 0 }, { storage })).toThrow(LabError);
    expect(() => kvStore(rec, bufs, { rows: 0, rowValues: 24, slotValues: 48, firstSlot: 0 }, { storage })).toThrow(/rows 0/);
    expect(() => kvStore(rec, bufs, { rows: 1, rowValues: 3, slotValues: 6, firstSlot: 0 }, { storage })).toThrow(/even number/);
    expect(rec.length).toBe(0);
    gpu.buffers.free(buf);
  });
});

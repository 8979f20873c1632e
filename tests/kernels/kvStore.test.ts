import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { LabError } from '../../src/errors';
import { randomF32 } from '../../src/util/random';
import { KV_STORE_SKIP, kvStore, type KvStoreShape } from '../../src/kernels/kvStore';
import { kvStoreReference } from '../../src/kernels/reference/kvStore';
import { expectBitExact } from './qfixtures';

/** Runs kvStore on random rows and caches of `slots` slots; returns the GPU's caches and the reference's. */
async function run(shape: KvStoreShape, at: number[], slots: number, seed: number) {
  const gpu = await testGpu();
  const { rows, rowValues, slotValues } = shape;
  const k = randomF32(rows * rowValues, seed);
  const v = randomF32(rows * rowValues, seed + 1);
  const keys = randomF32(slots * slotValues, seed + 2);
  const values = randomF32(slots * slotValues, seed + 3);
  const atU32 = Uint32Array.from(at);
  const bufs = {
    at: gpu.upload(atU32, { label: 'at' }),
    k: gpu.upload(k, { label: 'k' }),
    v: gpu.upload(v, { label: 'v' }),
    keys: gpu.upload(keys, { label: 'keys' }),
    values: gpu.upload(values, { label: 'values' }),
  };
  const rec = gpu.recorder();
  kvStore(rec, bufs, shape);
  rec.submit();
  const got = { keys: await gpu.readF32(bufs.keys, keys.length), values: await gpu.readF32(bufs.values, values.length) };
  for (const b of Object.values(bufs)) gpu.buffers.free(b);
  return { got, want: kvStoreReference(atU32, k, v, keys, values, shape), k, keys };
}

describe("KV store (a decode step's key/value rows scattered into their cache slots)", () => {
  it('writes each row at its position of its slot and nothing else, skipping rows marked SKIP', async () => {
    // 24 values per row (less than a 64-thread workgroup), 7 positions per slot, rows into slots 1..3 of 5.
    const seed = 900;
    const shape = { rows: 3, rowValues: 24, slotValues: 7 * 24, firstSlot: 1 };
    const { got, want, k, keys } = await run(shape, [6, KV_STORE_SKIP, 0], 5, seed);
    expectBitExact(got.keys, want.keys, `keys seed ${seed}`);
    expectBitExact(got.values, want.values, `values seed ${seed}`);
    // The reference itself: row 0 at slot 1, position 6; the skipped row's slot 2 is as it was.
    expect(got.keys.subarray(168 + 6 * 24, 168 + 7 * 24)).toEqual(k.subarray(0, 24));
    expect(got.keys.subarray(2 * 168, 3 * 168)).toEqual(keys.subarray(2 * 168, 3 * 168));
  });

  it('covers rows longer than one workgroup (136 values: three workgroups, the last partly idle)', async () => {
    const seed = 901;
    const shape = { rows: 8, rowValues: 136, slotValues: 4 * 136, firstSlot: 0 };
    const { got, want } = await run(shape, [3, 0, 1, 2, 3, 0, KV_STORE_SKIP, 2], 8, seed);
    expectBitExact(got.keys, want.keys, `keys seed ${seed}`);
    expectBitExact(got.values, want.values, `values seed ${seed}`);
  });

  it('refuses slots that do not hold a whole number of rows, and no rows', async () => {
    const gpu = await testGpu();
    const buf = gpu.alloc(64, { label: 'unused' });
    const rec = gpu.recorder();
    const bufs = { at: buf, k: buf, v: buf, keys: buf, values: buf };
    expect(() => kvStore(rec, bufs, { rows: 2, rowValues: 24, slotValues: 30, firstSlot: 0 })).toThrow(LabError);
    expect(() => kvStore(rec, bufs, { rows: 0, rowValues: 24, slotValues: 48, firstSlot: 0 })).toThrow(/rows 0/);
    expect(rec.length).toBe(0);
    gpu.buffers.free(buf);
  });
});

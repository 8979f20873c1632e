import { KV_STORE_SKIP, type KvStoreShape } from '../kvStore';
import type { StoredPrecision } from '../storedValues';
import { packF16PairsReference } from './storedValues';

/** `values` as the u32 words of a tensor stored in `precision`. */
function storedWords(values: Float32Array, precision: StoredPrecision): Uint32Array {
  return precision === 'f32' ? new Uint32Array(values.slice().buffer) : packF16PairsReference(values);
}

/**
 * kvStore on the CPU over caches given as their stored words: copies of `keys` and `values` with row r of k and v
 * stored at position at[r] of slot firstSlot + r (of slot firstSlot with oneSlot).
 */
export function kvStoreReference(
  at: Uint32Array,
  k: Float32Array,
  v: Float32Array,
  keys: Uint32Array,
  values: Uint32Array,
  shape: KvStoreShape,
  storage: StoredPrecision,
): { keys: Uint32Array; values: Uint32Array } {
  const outK = keys.slice();
  const outV = values.slice();
  const { rows, rowValues, slotValues, firstSlot } = shape;
  const wordsPerValue = storage === 'f32' ? 1 : 0.5;
  for (let r = 0; r < rows; r++) {
    if (at[r] === KV_STORE_SKIP) continue;
    const slot = shape.oneSlot ? firstSlot : firstSlot + r;
    const dst = (slot * slotValues + at[r] * rowValues) * wordsPerValue;
    outK.set(storedWords(k.subarray(r * rowValues, (r + 1) * rowValues), storage), dst);
    outV.set(storedWords(v.subarray(r * rowValues, (r + 1) * rowValues), storage), dst);
  }
  return { keys: outK, values: outV };
}

import { KV_STORE_SKIP, type KvStoreShape } from '../kvStore';

/** kvStore on the CPU: copies of `keys` and `values` with row r of k and v written at position at[r] of slot firstSlot + r. */
export function kvStoreReference(
  at: Uint32Array,
  k: Float32Array,
  v: Float32Array,
  keys: Float32Array,
  values: Float32Array,
  shape: KvStoreShape,
): { keys: Float32Array; values: Float32Array } {
  const outK = keys.slice();
  const outV = values.slice();
  const { rows, rowValues, slotValues, firstSlot } = shape;
  for (let r = 0; r < rows; r++) {
    if (at[r] === KV_STORE_SKIP) continue;
    const dst = (firstSlot + r) * slotValues + at[r] * rowValues;
    outK.set(k.subarray(r * rowValues, (r + 1) * rowValues), dst);
    outV.set(v.subarray(r * rowValues, (r + 1) * rowValues), dst);
  }
  return { keys: outK, values: outV };
}

import type { Binding, Recorder } from '../gpu/recorder';
import { ceilDiv } from '../gpu/grid';
import { uniformLayout } from '../gpu/uniforms';
import { LabError } from '../errors';
import { f16Constant, type StoredPrecision } from './storedValues';

/** `at` value of a row that is not stored (its sequence sits the step out). */
export const KV_STORE_SKIP = 0xffffffff;

const WG = 64;

export const KV_STORE_PARAMS = uniformLayout('kv_store', { rows: 'u32', rowValues: 'u32', slotValues: 'u32', firstSlot: 'u32' });

export interface KvStoreShape {
  /** Rows of the step (k and v are [rows, rowValues]). */
  rows: number;
  /** Values per row: nKvHeads·headDim. */
  rowValues: number;
  /** Values per cache slot: slotPositions·rowValues. */
  slotValues: number;
  /** Row r goes to slot firstSlot + r; with `oneSlot` every row goes to slot firstSlot (a one-sequence cache). */
  firstSlot: number;
  oneSlot?: boolean;
}

export interface KvStoreBuffers {
  /** [rows] u32: the position row r is stored at, or KV_STORE_SKIP. */
  at: Binding;
  /** [rows, rowValues] f32: the step's keys and values. */
  k: Binding;
  v: Binding;
  /** One layer's cache, [slots, slotPositions, nKvHeads, headDim] stored values, written at the rows' positions. */
  keys: Binding;
  values: Binding;
}

/**
 * Records the store of each row's key and value into position at[r] of slot firstSlot + r (or of slot firstSlot
 * with `oneSlot`) in the cache's `storage` format (shaders/kv_store.wgsl): one dispatch for K and V together. The
 * caller keeps every stored position inside its slot.
 */
export function kvStore(rec: Recorder, buffers: KvStoreBuffers, shape: KvStoreShape, options: { storage: StoredPrecision }): void {
  const { rows, rowValues, slotValues, firstSlot } = shape;
  for (const [name, value] of Object.entries({ rows, rowValues, slotValues, firstSlot })) {
    if (!Number.isInteger(value) || value < 0) throw new LabError(`${name} = ${value} is not a whole number`, 'kvStore');
  }
  if (rows < 1 || rowValues < 1 || slotValues < rowValues || slotValues % rowValues !== 0) {
    throw new LabError(
      `rows ${rows} of ${rowValues} values into slots of ${slotValues} values`,
      'kvStore',
      'A slot holds a whole number (≥ 1) of rows.',
    );
  }
  if (rowValues % 2 !== 0) {
    throw new LabError(`rows of ${rowValues} values`, 'kvStore', 'KV rows (KV heads × head dim) hold an even number of values.');
  }
  rec.dispatch(
    {
      shader: 'kv_store',
      constants: { WG, KV_F16: f16Constant(options.storage), ONE_SLOT: shape.oneSlot ? 1 : 0 },
    },
    [buffers.at, buffers.k, buffers.v, buffers.keys, buffers.values],
    [ceilDiv(rowValues / 2, WG), rows],
    KV_STORE_PARAMS.pack({ rows, rowValues, slotValues, firstSlot }),
  );
}

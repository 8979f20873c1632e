import type { Binding, Recorder } from '../gpu/recorder';
import type { ActivationPrecision } from '../gpu/shaderLibrary';
import { ceilDiv } from '../gpu/grid';
import { uniformLayout } from '../gpu/uniforms';
import { LabError } from '../errors';

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
  /** Row r goes to slot firstSlot + r. */
  firstSlot: number;
}

export interface KvStoreBuffers {
  /** [rows] u32: the position row r is stored at, or KV_STORE_SKIP. */
  at: Binding;
  /** [rows, rowValues] act_t: the step's keys and values. */
  k: Binding;
  v: Binding;
  /** One layer's cache, [slots, slotPositions, nKvHeads, headDim] f32, written at the rows' positions. */
  keys: Binding;
  values: Binding;
}

/**
 * Records the scatter of each row's key and value into position at[r] of slot firstSlot + r (shaders/kv_store.wgsl):
 * one dispatch for K and V together. The caller keeps every stored position inside its slot.
 */
export function kvStore(
  rec: Recorder,
  buffers: KvStoreBuffers,
  shape: KvStoreShape,
  options: { precision?: ActivationPrecision } = {},
): void {
  const { rows, rowValues, slotValues, firstSlot } = shape;
  for (const [name, value] of Object.entries(shape)) {
    if (!Number.isInteger(value) || value < 0) throw new LabError(`${name} = ${value} is not a whole number`, 'kvStore');
  }
  if (rows < 1 || rowValues < 1 || slotValues < rowValues || slotValues % rowValues !== 0) {
    throw new LabError(
      `rows ${rows} of ${rowValues} values into slots of ${slotValues} values`,
      'kvStore',
      'A slot holds a whole number (≥ 1) of rows.',
    );
  }
  rec.dispatch(
    { shader: 'kv_store', precision: options.precision, constants: { WG } },
    [buffers.at, buffers.k, buffers.v, buffers.keys, buffers.values],
    [ceilDiv(rowValues, WG), rows],
    KV_STORE_PARAMS.pack({ rows, rowValues, slotValues, firstSlot }),
  );
}

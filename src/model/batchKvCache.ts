import type { Gpu } from '../gpu/gpu';
import type { TrackedBuffer } from '../gpu/allocator';
import type { Binding, Recorder } from '../gpu/recorder';
import { LabError } from '../errors';
import type { ModelConfig } from './config';
import type { KvCache } from './kvCache';
import { kvStore } from '../kernels/kvStore';
import { storedBytes, type StoredPrecision } from '../kernels/storedValues';
import type { KvStoreTarget } from '../kernels/qmatvecStacked';

/**
 * The most any WebGPU device asks of a storage binding's offset (minStorageBufferOffsetAlignment): every slot starts
 * on such a boundary, so a run of slots can be bound as a range on any device.
 */
const OFFSET_ALIGN_BYTES = 256;

/**
 * Positions each slot holds: `maxCtx` rounded up so that a slot's bytes (positions × Hkv·d stored values) are a
 * multiple of OFFSET_ALIGN_BYTES. Only the first maxCtx positions are ever used.
 */
export function slotPositions(config: ModelConfig, maxCtx: number, precision: StoredPrecision): number {
  const tokenBytes = storedBytes(config.nKvHeads * config.headDim, precision);
  let step = OFFSET_ALIGN_BYTES;
  while (step % tokenBytes !== 0) step += OFFSET_ALIGN_BYTES;
  const tokensPerStep = step / tokenBytes;
  return Math.ceil(maxCtx / tokensPerStep) * tokensPerStep;
}

/** Bytes of one layer's K (or V) buffer of a `slots`-sequence cache. */
export function batchKvLayerBytes(config: ModelConfig, maxCtx: number, slots: number, precision: StoredPrecision): number {
  return slots * storedBytes(slotPositions(config, maxCtx, precision) * config.nKvHeads * config.headDim, precision);
}

/** Bytes of a whole `slots`-sequence cache: K and V of every layer. */
export function batchKvCacheBytes(config: ModelConfig, maxCtx: number, slots: number, precision: StoredPrecision): number {
  return 2 * config.nLayers * batchKvLayerBytes(config, maxCtx, slots, precision);
}

/**
 * Keys and values of `slots` independent sequences, per layer one buffer [slots, slotPositions, nKvHeads, headDim]
 * stored like the model's one-sequence KvCache (token-major, its precision), so a prefilled sequence moves in with one
 * copy per layer and the decode attention reads slot b at batch stride slotPositions·Hkv·d. Each slot has its own
 * length; a slot is reused for the next sequence once its own has finished.
 */
export class BatchKvCache {
  readonly keys: TrackedBuffer[] = [];
  readonly values: TrackedBuffer[] = [];
  /** Positions filled, per slot, by the steps recorded so far (those still queued on the GPU included). */
  readonly lengths: number[];
  readonly slotPositions: number;
  private readonly rowValues: number;
  private readonly tokenBytes: number;

  constructor(
    private readonly gpu: Gpu,
    config: ModelConfig,
    /**
     * Positions a slot holds: at most the model's context, and no more than the longest sequence of the batch can
     * reach (its prompt and token budget), which is usually far less.
     */
    readonly maxCtx: number,
    readonly slots: number,
    readonly precision: StoredPrecision,
  ) {
    this.rowValues = config.nKvHeads * config.headDim;
    this.tokenBytes = storedBytes(this.rowValues, precision);
    this.slotPositions = slotPositions(config, maxCtx, precision);
    this.lengths = new Array<number>(slots).fill(0);
    const bytes = batchKvLayerBytes(config, maxCtx, slots, precision);
    for (let i = 0; i < config.nLayers; i++) {
      this.keys.push(gpu.alloc(bytes, { label: `batch kv cache k.${i}`, category: 'kv-cache' }));
      this.values.push(gpu.alloc(bytes, { label: `batch kv cache v.${i}`, category: 'kv-cache' }));
    }
  }

  get slotBytes(): number {
    return this.slotPositions * this.tokenBytes;
  }

  /** Records the copy of a prefilled sequence (positions 0 .. cache.length − 1 of every layer) into `slot`. */
  load(rec: Recorder, slot: number, cache: KvCache): void {
    if (cache.length > this.maxCtx)
      throw new LabError(`a ${cache.length}-position sequence does not fit ${this.maxCtx}-position slots`, 'batch KV cache');
    if (cache.precision !== this.precision)
      throw new LabError(`a ${cache.precision} cache cannot move into ${this.precision} slots`, 'batch KV cache');
    const bytes = cache.length * this.tokenBytes;
    for (let l = 0; l < this.keys.length; l++) {
      rec.copy(cache.keys[l], this.keys[l], bytes, 0, slot * this.slotBytes);
      rec.copy(cache.values[l], this.values[l], bytes, 0, slot * this.slotBytes);
    }
    this.lengths[slot] = cache.length;
  }

  /**
   * Records the store of row r of k and v ([rows, Hkv·d], the step's projections) into position at[r] of slot
   * `firstSlot + r`, for every row whose `at` is not KV_STORE_SKIP (src/kernels/kvStore.ts): one dispatch per layer
   * for K and V, the compute pass unbroken. The caller has checked each position against maxCtx.
   */
  append(rec: Recorder, layer: number, rows: { k: Binding; v: Binding; at: Binding; count: number }, firstSlot: number): void {
    const { keys, values, slotValues } = this.storeTarget(layer, firstSlot);
    kvStore(
      rec,
      { at: rows.at, k: rows.k, v: rows.v, keys, values },
      { rows: rows.count, rowValues: this.rowValues, slotValues, firstSlot },
      { storage: this.precision },
    );
  }

  /** Where row r of a step from `firstSlot` goes in one layer (kv_store's and the qkv epilogue's layout), but `at`. */
  storeTarget(layer: number, firstSlot: number): Omit<KvStoreTarget, 'at'> {
    const slotValues = this.slotPositions * this.rowValues;
    return { keys: this.keys[layer], values: this.values[layer], slotValues, firstSlot, precision: this.precision };
  }

  /** Slots firstSlot .. firstSlot + count − 1 of one layer's K or V, as a binding. */
  binding(which: 'k' | 'v', layer: number, firstSlot: number, count: number): Binding {
    const buffer = (which === 'k' ? this.keys : this.values)[layer];
    return { buffer: buffer.buffer, offset: firstSlot * this.slotBytes, size: count * this.slotBytes, range: true };
  }

  free(): void {
    for (const b of [...this.keys, ...this.values]) this.gpu.buffers.free(b);
  }
}

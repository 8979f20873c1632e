import type { Gpu } from '../gpu/gpu';
import type { TrackedBuffer } from '../gpu/allocator';
import type { Recorder } from '../gpu/recorder';
import type { ModelConfig } from './config';
import { LabError } from '../errors';
import { kvStore } from '../kernels/kvStore';
import { DEFAULT_STORED_PRECISION, storedBytes, type StoredPrecision } from '../kernels/storedValues';

/**
 * Keys and values of every layer for the positions seen so far, token-major [maxCtx, nKvHeads, headDim] per layer,
 * stored as `precision` says (f16 pairs by default, like llama.cpp's default cache; f32 as the exact option): a
 * step's new rows go in with one kvStore dispatch per layer, which rounds them to the cache's format.
 */
export class KvCache {
  readonly keys: TrackedBuffer[];
  readonly values: TrackedBuffer[];
  /** Positions filled. */
  length = 0;
  private readonly tokenValues: number;

  constructor(
    private readonly gpu: Gpu,
    config: ModelConfig,
    readonly maxCtx: number,
    readonly precision: StoredPrecision = DEFAULT_STORED_PRECISION,
  ) {
    this.tokenValues = config.nKvHeads * config.headDim;
    const bytes = storedBytes(maxCtx * this.tokenValues, precision);
    this.keys = [];
    this.values = [];
    for (let i = 0; i < config.nLayers; i++) {
      this.keys.push(gpu.alloc(bytes, { label: `kv cache k.${i}`, category: 'kv-cache' }));
      this.values.push(gpu.alloc(bytes, { label: `kv cache v.${i}`, category: 'kv-cache' }));
    }
  }

  static bytesFor(config: ModelConfig, maxCtx: number, precision: StoredPrecision = DEFAULT_STORED_PRECISION): number {
    return 2 * config.nLayers * storedBytes(maxCtx * config.nKvHeads * config.headDim, precision);
  }

  /**
   * Records the store of `tokens` new keys and values of `layer` ([tokens, nKvHeads·headDim] f32) at the positions
   * `positions` holds (length .. length + tokens − 1: the step's RoPE positions).
   */
  append(rec: Recorder, layer: number, rows: { k: TrackedBuffer; v: TrackedBuffer; positions: TrackedBuffer }, tokens: number): void {
    if (this.length + tokens > this.maxCtx) {
      throw new LabError(
        `the context is full (${this.maxCtx} tokens)`,
        'KV cache',
        'Start a new generation or load the model with a longer context.',
      );
    }
    kvStore(
      rec,
      { at: rows.positions, k: rows.k, v: rows.v, keys: this.keys[layer], values: this.values[layer] },
      { rows: tokens, rowValues: this.tokenValues, slotValues: this.maxCtx * this.tokenValues, firstSlot: 0, oneSlot: true },
      { storage: this.precision },
    );
  }

  free(): void {
    for (const b of [...this.keys, ...this.values]) this.gpu.buffers.free(b);
  }
}

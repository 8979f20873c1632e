import type { Gpu } from '../gpu/gpu';
import type { TrackedBuffer } from '../gpu/allocator';
import type { Recorder } from '../gpu/recorder';
import type { ModelConfig } from './config';
import { LabError } from '../errors';

/**
 * Keys and values of every layer for the positions seen so far, token-major [maxCtx, nKvHeads, headDim] f32
 * per layer, so appending the new tokens of a step is one contiguous copy from the k/v projections' output.
 */
export class KvCache {
  readonly keys: TrackedBuffer[];
  readonly values: TrackedBuffer[];
  /** Positions filled. */
  length = 0;
  private readonly tokenFloats: number;

  constructor(
    private readonly gpu: Gpu,
    config: ModelConfig,
    readonly maxCtx: number,
  ) {
    this.tokenFloats = config.nKvHeads * config.headDim;
    const bytes = maxCtx * this.tokenFloats * 4;
    this.keys = [];
    this.values = [];
    for (let i = 0; i < config.nLayers; i++) {
      this.keys.push(gpu.alloc(bytes, { label: `kv cache k.${i}`, category: 'kv-cache' }));
      this.values.push(gpu.alloc(bytes, { label: `kv cache v.${i}`, category: 'kv-cache' }));
    }
  }

  static bytesFor(config: ModelConfig, maxCtx: number): number {
    return 2 * config.nLayers * maxCtx * config.nKvHeads * config.headDim * 4;
  }

  /** Records the copy of `tokens` new keys and values of `layer` into positions length .. length + tokens − 1. */
  append(rec: Recorder, layer: number, k: TrackedBuffer, v: TrackedBuffer, tokens: number): void {
    if (this.length + tokens > this.maxCtx) {
      throw new LabError(
        `the context is full (${this.maxCtx} tokens)`,
        'KV cache',
        'Start a new generation or load the model with a longer context.',
      );
    }
    const bytes = tokens * this.tokenFloats * 4;
    const offset = this.length * this.tokenFloats * 4;
    rec.copy(k, this.keys[layer], bytes, 0, offset);
    rec.copy(v, this.values[layer], bytes, 0, offset);
  }

  free(): void {
    for (const b of [...this.keys, ...this.values]) this.gpu.buffers.free(b);
  }
}

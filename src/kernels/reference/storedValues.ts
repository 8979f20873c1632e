import { f16ToF32, f32ToF16 } from '../../formats/quant/f16';
import type { StoredPrecision } from '../storedValues';

const F16_MAX = 65504;

/** `values` as f16 pairs in u32 words (shaders/stored_values.wgsl): nearest f16, ties to even, clamped to ±65504. */
export function packF16PairsReference(values: ArrayLike<number>): Uint32Array {
  const half = (v: number) => f32ToF16(Math.min(F16_MAX, Math.max(-F16_MAX, v)));
  const words = new Uint32Array(Math.ceil(values.length / 2));
  for (let i = 0; i < words.length; i++) {
    const hi = 2 * i + 1 < values.length ? half(values[2 * i + 1]) : 0;
    words[i] = (half(values[2 * i]) | (hi << 16)) >>> 0;
  }
  return words;
}

/** The `n` values of f16 pairs. */
export function unpackF16PairsReference(words: Uint32Array, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, e) => f16ToF32((words[e >> 1] >>> (16 * (e & 1))) & 0xffff));
}

/** `values` as a kernel reads them back after storing them in `precision`. */
export function storedValuesReference(values: Float32Array, precision: StoredPrecision): Float32Array {
  return precision === 'f32' ? values : unpackF16PairsReference(packF16PairsReference(values), values.length);
}

import { f16ToF32, f32ToF16 } from './f16';
import { blockCount, fround, roundHalfAway } from './rounding';

/**
 * Q8_0: blocks of 32 values in 34 bytes.
 *
 *   offset 0   d      f16     the block scale
 *   offset 2   qs[32] int8    one signed quant per value, value i at qs[i]
 *
 * Decoding: x[i] = qs[i] · d  (f32 product of the int and the f32 value of d).
 * Reference quantiser (ggml `quantize_row_q8_0_ref`): d = max|x| / 127, q = roundf(x / d) (half away from zero).
 */
export const Q8_0_BLOCK_ELEMENTS = 32;
export const Q8_0_BLOCK_BYTES = 34;

export function quantizeQ8_0(values: Float32Array): Uint8Array {
  const blocks = blockCount(values.length, Q8_0_BLOCK_ELEMENTS, 'Q8_0');
  const out = new Uint8Array(blocks * Q8_0_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const x = values.subarray(b * 32, b * 32 + 32);
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[j]));
    const d = fround(amax / 127);
    const id = d ? fround(1 / d) : 0;
    const base = b * Q8_0_BLOCK_BYTES;
    view.setUint16(base, f32ToF16(d), true);
    for (let j = 0; j < 32; j++) view.setInt8(base + 2 + j, roundHalfAway(fround(x[j] * id)));
  }
  return out;
}

export function dequantizeQ8_0(bytes: Uint8Array, count: number): Float32Array {
  const blocks = blockCount(count, Q8_0_BLOCK_ELEMENTS, 'Q8_0');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let b = 0; b < blocks; b++) {
    const base = b * Q8_0_BLOCK_BYTES;
    const d = f16ToF32(view.getUint16(base, true));
    for (let j = 0; j < 32; j++) out[b * 32 + j] = view.getInt8(base + 2 + j) * d;
  }
  return out;
}

import { f16ToF32, f32ToF16 } from './f16';
import { blockCount, fround } from './rounding';

/**
 * Q4_0: blocks of 32 values in 18 bytes.
 *
 *   offset 0   d      f16     the block scale
 *   offset 2   qs[16] uint8   two 4-bit quants per byte
 *
 * Value j (0..15) is the LOW nibble of qs[j]; value j + 16 is the HIGH nibble of qs[j] (not interleaved pairs).
 * Decoding: x = (q - 8) · d, with q in 0..15.
 * Reference quantiser (ggml `quantize_row_q4_0_ref`): take the value `max` of largest magnitude (keeping its
 * sign), d = max / -8, q = min(15, trunc(x / d + 8.5)); so the extreme value maps to q = 0 exactly.
 */
export const Q4_0_BLOCK_ELEMENTS = 32;
export const Q4_0_BLOCK_BYTES = 18;

export function quantizeQ4_0(values: Float32Array): Uint8Array {
  const blocks = blockCount(values.length, Q4_0_BLOCK_ELEMENTS, 'Q4_0');
  const out = new Uint8Array(blocks * Q4_0_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const x = values.subarray(b * 32, b * 32 + 32);
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      if (amax < Math.abs(x[j])) {
        amax = Math.abs(x[j]);
        max = x[j];
      }
    }
    const d = fround(max / -8);
    const id = d ? fround(1 / d) : 0;
    const base = b * Q4_0_BLOCK_BYTES;
    view.setUint16(base, f32ToF16(d), true);
    for (let j = 0; j < 16; j++) {
      const lo = Math.min(15, Math.trunc(fround(fround(x[j] * id) + 8.5)));
      const hi = Math.min(15, Math.trunc(fround(fround(x[j + 16] * id) + 8.5)));
      out[base + 2 + j] = lo | (hi << 4);
    }
  }
  return out;
}

export function dequantizeQ4_0(bytes: Uint8Array, count: number): Float32Array {
  const blocks = blockCount(count, Q4_0_BLOCK_ELEMENTS, 'Q4_0');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let b = 0; b < blocks; b++) {
    const base = b * Q4_0_BLOCK_BYTES;
    const d = f16ToF32(view.getUint16(base, true));
    for (let j = 0; j < 16; j++) {
      const q = bytes[base + 2 + j];
      out[b * 32 + j] = ((q & 0x0f) - 8) * d;
      out[b * 32 + j + 16] = ((q >> 4) - 8) * d;
    }
  }
  return out;
}

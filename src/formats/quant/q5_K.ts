import { f16ToF32 } from './f16';
import { unpackScaleMin } from './kScales';
import { blockCount, fround } from './rounding';

/**
 * Q5_K (decoder only): super-blocks of 256 values in 176 bytes, 8 sub-blocks of 32.
 *
 *   offset 0    d          f16
 *   offset 2    dmin       f16
 *   offset 4    scales[12] uint8   6-bit scales and mins, packed as in kScales.ts
 *   offset 16   qh[32]     uint8   fifth bit of each quant
 *   offset 48   qs[128]    uint8   low 4 bits
 *
 * Same order as Q4_K: value 64c + l is the low nibble of qs[32c + l] plus 16 if bit 2c of qh[l] is set
 * (sub-block 2c); value 64c + 32 + l is the high nibble plus 16 if bit 2c + 1 of qh[l] is set (sub-block 2c + 1).
 * Decoding in f32: x = (d · sc) · q − dmin · m, q in 0..31.
 */
export function dequantizeQ5_K(bytes: Uint8Array, count: number): Float32Array {
  const blocks = blockCount(count, 256, 'Q5_K');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let b = 0; b < blocks; b++) {
    const base = b * 176;
    const d = f16ToF32(view.getUint16(base, true));
    const dmin = f16ToF32(view.getUint16(base + 2, true));
    for (let c = 0; c < 4; c++) {
      const lo = unpackScaleMin(bytes, base + 4, 2 * c);
      const hi = unpackScaleMin(bytes, base + 4, 2 * c + 1);
      const d1 = fround(d * lo.sc),
        m1 = fround(dmin * lo.m);
      const d2 = fround(d * hi.sc),
        m2 = fround(dmin * hi.m);
      for (let l = 0; l < 32; l++) {
        const q = bytes[base + 48 + 32 * c + l];
        const h = bytes[base + 16 + l];
        out[b * 256 + 64 * c + l] = fround(d1 * ((q & 0x0f) + ((h >> (2 * c)) & 1) * 16)) - m1;
        out[b * 256 + 64 * c + 32 + l] = fround(d2 * ((q >> 4) + ((h >> (2 * c + 1)) & 1) * 16)) - m2;
      }
    }
  }
  return out;
}

/**
 * Q8_K (decoder only; ggml uses it for activations, rarely in files): 256 values in 292 bytes:
 * d f32 @0, qs[256] int8 @4, bsums[16] int16 @260 (sums of each 16 quants, not needed to decode). x = d · q.
 */
export function dequantizeQ8_K(bytes: Uint8Array, count: number): Float32Array {
  const blocks = blockCount(count, 256, 'Q8_K');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let b = 0; b < blocks; b++) {
    const d = view.getFloat32(b * 292, true);
    for (let i = 0; i < 256; i++) out[b * 256 + i] = d * view.getInt8(b * 292 + 4 + i);
  }
  return out;
}

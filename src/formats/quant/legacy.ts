import { f16ToF32 } from './f16';
import { blockCount, fround } from './rounding';

/**
 * Decoders for the older 32-value formats that some downloads still contain. Nibble order is Q4_0's:
 * value j (0..15) in the low nibble of qs[j], value j + 16 in its high nibble.
 *
 * Q4_1, 20 bytes:  d f16 @0, m f16 @2, qs[16] @4.            x = q · d + m,          q in 0..15
 * Q5_0, 22 bytes:  d f16 @0, qh[4] @2, qs[16] @6.            x = (q - 16) · d,       q in 0..31
 * Q5_1, 24 bytes:  d f16 @0, m f16 @2, qh[4] @4, qs[16] @8.  x = q · d + m,          q in 0..31
 * For Q5_*, qh is a little-endian u32 holding the fifth bit of each value: bit j for value j (0..31).
 */

export function dequantizeQ4_1(bytes: Uint8Array, count: number): Float32Array {
  const blocks = blockCount(count, 32, 'Q4_1');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let b = 0; b < blocks; b++) {
    const base = b * 20;
    const d = f16ToF32(view.getUint16(base, true));
    const m = f16ToF32(view.getUint16(base + 2, true));
    for (let j = 0; j < 16; j++) {
      const q = bytes[base + 4 + j];
      out[b * 32 + j] = fround((q & 0x0f) * d) + m;
      out[b * 32 + j + 16] = fround((q >> 4) * d) + m;
    }
  }
  return out;
}

function dequantizeQ5(bytes: Uint8Array, count: number, withMin: boolean): Float32Array {
  const blockBytes = withMin ? 24 : 22;
  const blocks = blockCount(count, 32, withMin ? 'Q5_1' : 'Q5_0');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let b = 0; b < blocks; b++) {
    const base = b * blockBytes;
    const d = f16ToF32(view.getUint16(base, true));
    const m = withMin ? f16ToF32(view.getUint16(base + 2, true)) : 0;
    const qhAt = withMin ? base + 4 : base + 2;
    const qh = view.getUint32(qhAt, true);
    const qs = qhAt + 4;
    for (let j = 0; j < 16; j++) {
      const lo = (bytes[qs + j] & 0x0f) | (((qh >>> j) & 1) << 4);
      const hi = (bytes[qs + j] >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      if (withMin) {
        out[b * 32 + j] = fround(lo * d) + m;
        out[b * 32 + j + 16] = fround(hi * d) + m;
      } else {
        out[b * 32 + j] = (lo - 16) * d;
        out[b * 32 + j + 16] = (hi - 16) * d;
      }
    }
  }
  return out;
}

export const dequantizeQ5_0 = (bytes: Uint8Array, count: number) => dequantizeQ5(bytes, count, false);
export const dequantizeQ5_1 = (bytes: Uint8Array, count: number) => dequantizeQ5(bytes, count, true);

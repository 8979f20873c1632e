import { f16ToF32, f32ToF16 } from './f16';
import { blockCount, fround, nearestInt } from './rounding';

/**
 * Q6_K: super-blocks of 256 values in 210 bytes, made of 16 sub-blocks of 16 values.
 *
 *   offset 0     ql[128]      uint8   low 4 bits of each quant
 *   offset 128   qh[64]       uint8   high 2 bits of each quant, four quants per byte
 *   offset 192   scales[16]   int8    signed 8-bit scale per 16-value sub-block
 *   offset 208   d            f16     super-block scale (note: d comes LAST)
 *
 * Quant order: two halves of 128 values; half h uses ql[64h ..], qh[32h ..], scales[8h ..]. For l in 0..31:
 *   value 128h + l       low nibble of ql[64h + l]       | bits 0-1 of qh[32h + l] << 4   scale scales[8h + l/16]
 *   value 128h + l + 32  low nibble of ql[64h + 32 + l]  | bits 2-3 of qh[32h + l] << 4   scale scales[8h + l/16 + 2]
 *   value 128h + l + 64  high nibble of ql[64h + l]      | bits 4-5 of qh[32h + l] << 4   scale scales[8h + l/16 + 4]
 *   value 128h + l + 96  high nibble of ql[64h + 32 + l] | bits 6-7 of qh[32h + l] << 4   scale scales[8h + l/16 + 6]
 * (l/16 is integer division, so each scale covers 16 consecutive values.)
 * Decoding, in f32, in this order: x = (d · scale) · (q − 32), q in 0..63.
 *
 * Reference quantiser: ggml's `quantize_row_q6_K_ref` in single precision: each sub-block's scale comes from
 * `fitSymmetricScale` (ggml's make_qx_quants with nmax 32 and x² weights), scales are quantised to int8
 * against the largest-magnitude one (which maps to −128, clamped to 127 on the other side), then the quants are
 * recomputed with the stored scales.
 */
export const Q6_K_BLOCK_ELEMENTS = 256;
export const Q6_K_BLOCK_BYTES = 210;

export function dequantizeQ6_K(bytes: Uint8Array, count: number): Float32Array {
  const blocks = blockCount(count, Q6_K_BLOCK_ELEMENTS, 'Q6_K');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let b = 0; b < blocks; b++) {
    const base = b * Q6_K_BLOCK_BYTES;
    const d = f16ToF32(view.getUint16(base + 208, true));
    for (let h = 0; h < 2; h++) {
      const ql = base + 64 * h;
      const qh = base + 128 + 32 * h;
      const sc = base + 192 + 8 * h;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const high = bytes[qh + l];
        const q1 = ((bytes[ql + l] & 0x0f) | ((high & 3) << 4)) - 32;
        const q2 = ((bytes[ql + 32 + l] & 0x0f) | (((high >> 2) & 3) << 4)) - 32;
        const q3 = ((bytes[ql + l] >> 4) | (((high >> 4) & 3) << 4)) - 32;
        const q4 = ((bytes[ql + 32 + l] >> 4) | (((high >> 6) & 3) << 4)) - 32;
        const o = b * 256 + 128 * h + l;
        out[o] = fround(d * view.getInt8(sc + is)) * q1;
        out[o + 32] = fround(d * view.getInt8(sc + is + 2)) * q2;
        out[o + 64] = fround(d * view.getInt8(sc + is + 4)) * q3;
        out[o + 96] = fround(d * view.getInt8(sc + is + 6)) * q4;
      }
    }
  }
  return out;
}

export function quantizeQ6_K(values: Float32Array): Uint8Array {
  const blocks = blockCount(values.length, Q6_K_BLOCK_ELEMENTS, 'Q6_K');
  const out = new Uint8Array(blocks * Q6_K_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  const L = new Uint8Array(256);
  const scales = new Float32Array(16);
  for (let b = 0; b < blocks; b++) {
    const x = values.subarray(b * 256, b * 256 + 256);
    let maxScale = 0;
    let maxAbsScale = 0;
    for (let s = 0; s < 16; s++) {
      scales[s] = fitSymmetricScale(x.subarray(16 * s, 16 * s + 16), 32, L.subarray(16 * s, 16 * s + 16));
      if (Math.abs(scales[s]) > maxAbsScale) {
        maxAbsScale = Math.abs(scales[s]);
        maxScale = scales[s];
      }
    }
    const base = b * Q6_K_BLOCK_BYTES;
    if (maxAbsScale < 1e-15) continue; // an all-zero block: every byte 0 decodes to 0
    const iscale = fround(-128 / maxScale);
    const dBits = f32ToF16(fround(1 / iscale));
    view.setUint16(base + 208, dBits, true);
    for (let s = 0; s < 16; s++) view.setInt8(base + 192 + s, Math.min(127, nearestInt(fround(iscale * scales[s]))));
    for (let s = 0; s < 16; s++) {
      const d = fround(f16ToF32(dBits) * view.getInt8(base + 192 + s));
      if (!d) continue;
      for (let i = 0; i < 16; i++) {
        L[16 * s + i] = Math.max(-32, Math.min(31, nearestInt(fround(x[16 * s + i] / d)))) + 32;
      }
    }
    for (let h = 0; h < 2; h++) {
      for (let l = 0; l < 32; l++) {
        const at = 128 * h + l;
        out[base + 64 * h + l] = (L[at] & 0x0f) | ((L[at + 64] & 0x0f) << 4);
        out[base + 64 * h + 32 + l] = (L[at + 32] & 0x0f) | ((L[at + 96] & 0x0f) << 4);
        out[base + 128 + 32 * h + l] = (L[at] >> 4) | ((L[at + 32] >> 4) << 2) | ((L[at + 64] >> 4) << 4) | ((L[at + 96] >> 4) << 6);
      }
    }
  }
  return out;
}

/**
 * Fits x ≈ scale · (q − nmax) with q − nmax in −nmax..nmax−1, minimising Σ x²·(scale·l − x)²: map the
 * largest-magnitude value to −nmax, then try 18 nearby step counts (nmax ± 0.1..0.9) and keep the one with
 * the best least-squares fit. Writes q (0..2·nmax−1) into L and returns the scale (may be negative).
 */
export function fitSymmetricScale(x: Float32Array, nmax: number, L: Uint8Array): number {
  const n = x.length;
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    if (Math.abs(x[i]) > amax) {
      amax = Math.abs(x[i]);
      max = x[i];
    }
  }
  if (amax < 1e-15) {
    L.fill(0);
    return 0;
  }
  const quantsFor = (iscale: number) => {
    let sumLX = 0,
      sumL2 = 0;
    for (let i = 0; i < n; i++) {
      const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(fround(iscale * x[i]))));
      const w = fround(x[i] * x[i]);
      sumLX = fround(sumLX + fround(fround(w * x[i]) * l));
      sumL2 = fround(sumL2 + fround(fround(w * l) * l));
    }
    return { sumLX, sumL2 };
  };
  const store = (iscale: number) => {
    for (let i = 0; i < n; i++) L[i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(fround(iscale * x[i]))));
  };
  let iscale = fround(-nmax / max);
  store(iscale);
  const first = quantsFor(iscale);
  let scale = first.sumL2 ? fround(first.sumLX / first.sumL2) : 0;
  let best = fround(scale * first.sumLX);
  const tenth = fround(0.1);
  for (let step = -9; step <= 9; step++) {
    if (step === 0) continue;
    iscale = fround(-fround(nmax + fround(tenth * step)) / max);
    const { sumLX, sumL2 } = quantsFor(iscale);
    if (sumL2 > 0 && fround(sumLX * sumLX) > fround(best * sumL2)) {
      store(iscale);
      scale = fround(sumLX / sumL2);
      best = fround(scale * sumLX);
    }
  }
  return scale;
}

import { f16ToF32, f32ToF16 } from './f16';
import { packScaleMin, unpackScaleMin } from './kScales';
import { blockCount, fround, nearestInt } from './rounding';

/**
 * Q4_K: super-blocks of 256 values in 144 bytes, made of 8 sub-blocks of 32 values.
 *
 *   offset 0    d          f16        scale of the sub-block scales
 *   offset 2    dmin       f16        scale of the sub-block mins
 *   offset 4    scales[12] uint8      8 six-bit scales sc[s] and 8 six-bit mins m[s], packed as in kScales.ts
 *   offset 16   qs[128]    uint8      4-bit quants
 *
 * Quant order: the 256 values form 4 chunks of 64; chunk c uses qs[32c .. 32c+31]. Value 64c + l (l < 32) is the
 * LOW nibble of qs[32c + l] and belongs to sub-block 2c; value 64c + 32 + l is the HIGH nibble of qs[32c + l] and
 * belongs to sub-block 2c + 1.
 * Decoding, in f32, in this order: d1 = d · sc[s], m1 = dmin · m[s], x = d1 · q − m1 (q in 0..15).
 *
 * Reference quantiser: ggml's `quantize_row_q4_K_ref`, re-expressed here in single precision step by step:
 * each sub-block gets a scale and min from a weighted least-squares search (`fitScaleMin` below, ggml's
 * make_qkx2_quants with rmin −1, rdelta 0.1, 20 steps, weights av|x| + |x|), the eight scales and mins are
 * quantised to 6 bits against the largest of each, and the quants are recomputed with the stored scales.
 */
export const Q4_K_BLOCK_ELEMENTS = 256;
export const Q4_K_BLOCK_BYTES = 144;

export function dequantizeQ4_K(bytes: Uint8Array, count: number): Float32Array {
  const blocks = blockCount(count, Q4_K_BLOCK_ELEMENTS, 'Q4_K');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let b = 0; b < blocks; b++) {
    const base = b * Q4_K_BLOCK_BYTES;
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
        const q = bytes[base + 16 + 32 * c + l];
        out[b * 256 + 64 * c + l] = fround(d1 * (q & 0x0f)) - m1;
        out[b * 256 + 64 * c + 32 + l] = fround(d2 * (q >> 4)) - m2;
      }
    }
  }
  return out;
}

export function quantizeQ4_K(values: Float32Array): Uint8Array {
  const blocks = blockCount(values.length, Q4_K_BLOCK_ELEMENTS, 'Q4_K');
  const out = new Uint8Array(blocks * Q4_K_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  const L = new Uint8Array(256);
  const weights = new Float32Array(32);
  const scales = new Float32Array(8);
  const mins = new Float32Array(8);
  for (let b = 0; b < blocks; b++) {
    const x = values.subarray(b * 256, b * 256 + 256);
    let maxScale = 0;
    let maxMin = 0;
    for (let s = 0; s < 8; s++) {
      const xs = x.subarray(32 * s, 32 * s + 32);
      let sumX2 = 0;
      for (let l = 0; l < 32; l++) sumX2 = fround(sumX2 + fround(xs[l] * xs[l]));
      const avX = fround(Math.sqrt(fround(sumX2 / 32)));
      for (let l = 0; l < 32; l++) weights[l] = fround(avX + Math.abs(xs[l]));
      const fit = fitScaleMin(xs, weights, 15, L.subarray(32 * s, 32 * s + 32));
      scales[s] = fit.scale;
      mins[s] = fit.min;
      if (fit.scale > maxScale) maxScale = fit.scale;
      if (fit.min > maxMin) maxMin = fit.min;
    }
    const invScale = maxScale > 0 ? fround(63 / maxScale) : 0;
    const invMin = maxMin > 0 ? fround(63 / maxMin) : 0;
    const sc6 = new Uint8Array(8);
    const m6 = new Uint8Array(8);
    for (let s = 0; s < 8; s++) {
      sc6[s] = Math.min(63, nearestInt(fround(invScale * scales[s])));
      m6[s] = Math.min(63, nearestInt(fround(invMin * mins[s])));
    }
    const base = b * Q4_K_BLOCK_BYTES;
    const dBits = f32ToF16(fround(maxScale / 63));
    const dminBits = f32ToF16(fround(maxMin / 63));
    view.setUint16(base, dBits, true);
    view.setUint16(base + 2, dminBits, true);
    packScaleMin(out, base + 4, sc6, m6);
    // Requantise against the scales as stored, so rounding of d, dmin and the 6-bit scales is absorbed.
    for (let s = 0; s < 8; s++) {
      const { sc, m } = unpackScaleMin(out, base + 4, s);
      const d = fround(f16ToF32(dBits) * sc);
      if (!d) continue;
      const dm = fround(f16ToF32(dminBits) * m);
      for (let l = 0; l < 32; l++) {
        L[32 * s + l] = Math.max(0, Math.min(15, nearestInt(fround(fround(x[32 * s + l] + dm) / d))));
      }
    }
    for (let c = 0; c < 4; c++) {
      for (let l = 0; l < 32; l++) out[base + 16 + 32 * c + l] = L[64 * c + l] | (L[64 * c + 32 + l] << 4);
    }
  }
  return out;
}

let scratch = new Uint8Array(32);

/**
 * Fits x ≈ scale · q − min with q in 0..nmax, minimising Σ w (scale·q − min − x)²: start from the range
 * [min(x, 0), max(x)] mapped onto 0..nmax, then try 21 slightly different step counts (nmax − 1 .. nmax + 1
 * in steps of 0.1), solving the weighted least squares for scale and min at each, keeping the best. When a step
 * wins, its min replaces the range start for the following steps (ggml's behaviour, kept for bit-exact output).
 * Writes the quants into L and returns scale and min (min ≥ 0, subtracted when decoding).
 */
export function fitScaleMin(x: Float32Array, w: Float32Array, nmax: number, L: Uint8Array): { scale: number; min: number } {
  if (scratch.length < x.length) scratch = new Uint8Array(x.length);
  const n = x.length;
  let min = x[0];
  let max = x[0];
  let sumW = w[0];
  let sumX = fround(sumW * x[0]);
  for (let i = 1; i < n; i++) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sumW = fround(sumW + w[i]);
    sumX = fround(sumX + fround(w[i] * x[i]));
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0);
    return { scale: 0, min: -min };
  }
  let iscale = fround(nmax / fround(max - min));
  let scale = fround(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    L[i] = Math.max(0, Math.min(nmax, nearestInt(fround(iscale * fround(x[i] - min)))));
    const diff = fround(fround(fround(scale * L[i]) + min) - x[i]);
    bestError = fround(bestError + fround(w[i] * fround(diff * diff)));
  }
  const Laux = scratch.subarray(0, n);
  const rdelta = fround(0.1);
  for (let step = 0; step <= 20; step++) {
    // `min` moves whenever a better fit is found, and later steps map from the moved min (as ggml does).
    iscale = fround(fround(fround(-1 + fround(rdelta * step)) + nmax) / fround(max - min));
    let sumL = 0,
      sumL2 = 0,
      sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = Math.max(0, Math.min(nmax, nearestInt(fround(iscale * fround(x[i] - min)))));
      Laux[i] = l;
      const wl = fround(w[i] * l);
      sumL = fround(sumL + wl);
      sumL2 = fround(sumL2 + fround(wl * l));
      sumXL = fround(sumXL + fround(wl * x[i]));
    }
    const D = fround(fround(sumW * sumL2) - fround(sumL * sumL));
    if (!(D > 0)) continue;
    let thisScale = fround(fround(fround(sumW * sumXL) - fround(sumX * sumL)) / D);
    let thisMin = fround(fround(fround(sumL2 * sumX) - fround(sumL * sumXL)) / D);
    if (thisMin > 0) {
      thisMin = 0;
      thisScale = fround(sumXL / sumL2);
    }
    let error = 0;
    for (let i = 0; i < n; i++) {
      const diff = fround(fround(fround(thisScale * Laux[i]) + thisMin) - x[i]);
      error = fround(error + fround(w[i] * fround(diff * diff)));
    }
    if (error < bestError) {
      L.set(Laux);
      bestError = error;
      scale = thisScale;
      min = thisMin;
    }
  }
  return { scale, min: -min };
}

import { fround, nearestInt } from '../../formats/quant/rounding';
import { ACTIVATION_BLOCK, quantizedActivationSections, quantizedActivationWords } from '../quantizeActivations';

/** X [M, K] as 8-bit integers per 32-value block: q [M·K] and each block's scale d [M·K/32]. */
export interface QuantizedActivations {
  q: Int8Array;
  d: Float32Array;
}

/**
 * shaders/quantize_activations.wgsl's rounding in f32 arithmetic: d = max|x| / 127, q = round(x · (127 / max|x|))
 * with ties to even, all zero for a zero block.
 */
export function quantizeActivationsReference(x: Float32Array, M: number, K: number): QuantizedActivations {
  const q = new Int8Array(M * K);
  const d = new Float32Array((M * K) / ACTIVATION_BLOCK);
  for (let b = 0; b < d.length; b++) {
    const start = b * ACTIVATION_BLOCK;
    let amax = 0;
    for (let i = start; i < start + ACTIVATION_BLOCK; i++) amax = Math.max(amax, Math.abs(x[i]));
    const inv = amax > 0 ? fround(127 / amax) : 0;
    for (let i = start; i < start + ACTIVATION_BLOCK; i++) q[i] = nearestInt(fround(x[i] * inv));
    d[b] = fround(amax / 127);
  }
  return { q, d };
}

/** The values the 8-bit dot products multiply: d·q per block, [M·K] (exact in f32). */
export function dequantizeActivations({ q, d }: QuantizedActivations): Float32Array {
  return Float32Array.from(q, (v, i) => v * d[Math.floor(i / ACTIVATION_BLOCK)]);
}

/**
 * The words shaders/quantize_activations.wgsl writes for K-value rows (pairs, packed, scales, sums, squares per row);
 * `raw` is the row before the norm weight (X itself without NORM), whose per-block Σ x² the squares hold, summed here
 * in f64 (the kernel's f32 order is its own).
 */
export function quantizedActivationLayout({ q, d }: QuantizedActivations, M: number, K: number, raw: Float32Array): Uint32Array {
  const rowWords = quantizedActivationWords(K);
  const at = quantizedActivationSections(K);
  const out = new Uint32Array(M * rowWords);
  const scales = new Uint32Array(d.buffer, d.byteOffset, d.length);
  for (let m = 0; m < M; m++) {
    const row = m * rowWords;
    const v = (k: number) => q[m * K + k];
    for (let j = 0; j < K; j += 4) {
      out[row + j / 2] = (v(j + 2) + v(j) * 65536) >>> 0;
      out[row + j / 2 + 1] = (v(j + 3) + v(j + 1) * 65536) >>> 0;
      out[row + at.packed + j / 4] = ((v(j) & 255) | ((v(j + 1) & 255) << 8) | ((v(j + 2) & 255) << 16) | ((v(j + 3) & 255) << 24)) >>> 0;
    }
    for (let b = 0; b < K / ACTIVATION_BLOCK; b++) out[row + at.scales + b] = scales[(m * K) / ACTIVATION_BLOCK + b];
    for (let s = 0; s < K / 16; s++) {
      let sum = 0;
      for (let k = 16 * s; k < 16 * s + 16; k++) sum += v(k);
      out[row + at.sums + s] = sum >>> 0;
    }
    const squares = new Float32Array(out.buffer, 4 * (row + at.squares), K / ACTIVATION_BLOCK);
    for (let b = 0; b < K / ACTIVATION_BLOCK; b++) {
      let sum = 0;
      for (let k = b * ACTIVATION_BLOCK; k < (b + 1) * ACTIVATION_BLOCK; k++) sum += raw[m * K + k] ** 2;
      squares[b] = sum;
    }
  }
  return out;
}

import type { RopeShape } from '../rope';

/**
 * Rotary embedding of x [tokens, nHeads, headDim] (a new array), the angle rounded to f32 exactly as the kernel
 * forms it (f32(pos) · invFreq[i]) and the rotation done in f64.
 */
export function ropeReference(
  x: Float32Array,
  positions: Uint32Array,
  invFreq: Float32Array,
  shape: RopeShape,
  inverse = false,
): Float32Array {
  const out = Float32Array.from(x);
  const half = shape.nRot / 2;
  for (let t = 0; t < shape.tokens; t++) {
    for (let h = 0; h < shape.nHeads; h++) {
      const base = (t * shape.nHeads + h) * shape.headDim;
      for (let i = 0; i < half; i++) {
        const theta = Math.fround(positions[t] * invFreq[i]);
        const c = Math.cos(theta);
        const s = (inverse ? -1 : 1) * Math.sin(theta);
        const ia = shape.mode === 'neox' ? base + i : base + 2 * i;
        const ib = shape.mode === 'neox' ? base + i + half : ia + 1;
        out[ia] = x[ia] * c - x[ib] * s;
        out[ib] = x[ia] * s + x[ib] * c;
      }
    }
  }
  return out;
}

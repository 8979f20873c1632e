import { dropoutThreshold, pcgHash, type DropoutShape } from '../dropout';

/** keep[i] = 1 where element i survives: hash(i) = pcg(pcg(i ^ key0) + key1) ≥ ⌊p · 2³²⌋. */
export function dropoutMaskReference(shape: DropoutShape): Uint8Array {
  const threshold = dropoutThreshold(shape.p);
  const keep = new Uint8Array(shape.n);
  for (let i = 0; i < shape.n; i++) {
    const bits = pcgHash((pcgHash((i ^ shape.key[0]) >>> 0) + shape.key[1]) >>> 0);
    keep[i] = bits >= threshold ? 1 : 0;
  }
  return keep;
}

/** out = (out0 or 0) + keep · x / (1 − p), in f64. */
export function dropoutReference(x: ArrayLike<number>, shape: DropoutShape, out0?: ArrayLike<number>): Float32Array {
  const keep = dropoutMaskReference(shape);
  const scale = 1 / (1 - shape.p);
  const out = new Float32Array(shape.n);
  for (let i = 0; i < shape.n; i++) out[i] = (out0 ? out0[i] : 0) + (keep[i] ? scale * x[i] : 0);
  return out;
}

/** y = alpha·x + beta·y (beta = 0 ignores y entirely, as the kernel does). */
export function axpbyReference(y: Float32Array, x: Float32Array, alpha: number, beta: number): Float32Array {
  const out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = alpha * x[i] + (beta === 0 ? 0 : beta * y[i]);
  return out;
}

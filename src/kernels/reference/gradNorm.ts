/** The L2 norm over all buffers in f64, and PyTorch's clip factor min(1, maxNorm / (norm + 1e-6)) (1 if maxNorm ≤ 0). */
export function gradNormReference(grads: readonly Float32Array[], maxNorm = 0): { norm: number; clip: number } {
  let sum = 0;
  for (const g of grads) for (const v of g) sum += v * v;
  const norm = Math.sqrt(sum);
  return { norm, clip: maxNorm > 0 ? Math.min(1, maxNorm / (norm + 1e-6)) : 1 };
}

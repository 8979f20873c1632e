import type { Gpu } from '../gpu/gpu';
import type { MatmulCheckRequest, MatmulCheckResult, Progress } from './api';
import { throwIfCancelled } from './jobs';
import { matmul } from '../kernels/matmul';
import { matmulReference } from '../kernels/reference/matmul';
import { randomF32 } from '../util/random';

/** Multiplies two seeded random matrices on the GPU (`repeats` times) and checks the result against a CPU reference. */
export async function checkMatmul(
  gpu: Gpu,
  request: MatmulCheckRequest,
  signal: AbortSignal,
  onProgress?: (p: Progress) => void,
): Promise<MatmulCheckResult> {
  const { M, N, K, seed } = request;
  const repeats = request.repeats ?? 1;
  const a = randomF32(M * K, seed);
  const b = randomF32(K * N, seed + 1);
  const bufA = gpu.upload(a, { label: 'check A', category: 'scratch' });
  const bufB = gpu.upload(b, { label: 'check B', category: 'scratch' });
  const bufC = gpu.alloc(M * N * 4, { label: 'check C', category: 'scratch' });
  try {
    const start = performance.now();
    for (let i = 0; i < repeats; i++) {
      throwIfCancelled(signal);
      const rec = gpu.recorder();
      matmul(rec, bufA, bufB, bufC, { M, N, K });
      rec.submit();
      await gpu.sync();
      onProgress?.({ done: i + 1, total: repeats, unit: 'multiplies' });
    }
    const gpuMs = (performance.now() - start) / repeats;
    const got = await gpu.readF32(bufC, M * N);
    const want = matmulReference(a, b, { M, N, K });
    let maxAbsError = 0;
    for (let i = 0; i < got.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(got[i] - want[i]));
    // Same bound as the kernel tests: f32 rounding over K products of values in [-1, 1].
    return { M, N, K, seed, maxAbsError, verified: maxAbsError < 4e-6 * K + 1e-6, gpuMs };
  } finally {
    for (const t of [bufA, bufB, bufC]) gpu.buffers.free(t);
  }
}

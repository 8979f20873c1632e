import type { Gpu } from '../gpu/gpu';
import { describeAdapter } from '../gpu/acquire';
import type { GpuStatus, LabEngineApi, MatmulCheckRequest, MatmulCheckResult, Progress } from './api';
import { JobRegistry, throwIfCancelled } from './jobs';
import { matmul } from '../kernels/matmul';
import { matmulReference } from '../kernels/reference/matmul';
import { randomF32 } from '../util/random';
import { LabError } from '../errors';
import type { DeviceLostEvent } from '../gpu/gpu';

/**
 * The engine behind the worker API. It runs wherever a `Gpu` can be opened: in the page's worker
 * (navigator.gpu) and in Node (Dawn) for the CLI and tests.
 */
export class Engine implements LabEngineApi {
  private gpu: Gpu | undefined;
  private readonly jobs = new JobRegistry();

  constructor(private readonly openGpu: () => Promise<Gpu>) {}

  async init(): Promise<GpuStatus> {
    this.gpu ??= await this.openGpu();
    return this.status();
  }

  async status(): Promise<GpuStatus> {
    const gpu = this.requireGpu();
    return { adapter: gpu.info, adapterName: describeAdapter(gpu.info), features: gpu.features, limits: gpu.limits };
  }

  async memory() {
    return this.requireGpu().buffers.snapshot();
  }

  async onDeviceLost(listener: (event: DeviceLostEvent) => void): Promise<void> {
    this.requireGpu().onLost(listener);
  }

  async checkMatmul(request: MatmulCheckRequest, jobId: string, onProgress?: (p: Progress) => void): Promise<MatmulCheckResult> {
    const gpu = this.requireGpu();
    const { M, N, K, seed } = request;
    const repeats = request.repeats ?? 1;
    const signal = this.jobs.start(jobId);
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
      this.jobs.finish(jobId);
    }
  }

  async cancel(jobId: string): Promise<boolean> {
    return this.jobs.cancel(jobId);
  }

  private requireGpu(): Gpu {
    if (!this.gpu) throw new LabError('the GPU is not open yet', 'engine', 'Call init() first.');
    return this.gpu;
  }
}

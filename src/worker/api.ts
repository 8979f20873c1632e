import type { AdapterDescription, GpuFeatures } from '../gpu/acquire';
import type { DeviceLostEvent, GpuLimits } from '../gpu/gpu';
import type { MemorySnapshot } from '../gpu/allocator';

/**
 * The engine's API as the page sees it, through a comlink proxy. Types only: nothing in `src/ui/` imports
 * engine code. Progress and events come back through `comlink.proxy` callbacks; long work takes a `jobId`
 * that `cancel(jobId)` stops.
 */
export interface GpuStatus {
  adapter: AdapterDescription;
  adapterName: string;
  features: GpuFeatures;
  limits: GpuLimits;
}

export interface Progress {
  /** Units done and total (bytes, steps, problems...), named by `unit`. */
  done: number;
  total: number;
  unit: string;
  message?: string;
}

export interface MatmulCheckRequest {
  M: number;
  N: number;
  K: number;
  seed: number;
  /** Repeat the GPU multiply this many times (a longer job, for cancellation). */
  repeats?: number;
}

export interface MatmulCheckResult {
  M: number;
  N: number;
  K: number;
  seed: number;
  maxAbsError: number;
  /** Whether the GPU result matched the CPU reference within tolerance. */
  verified: boolean;
  gpuMs: number;
}

export interface LabEngineApi {
  /** Opens the WebGPU device. Rejects with a message saying what to do when WebGPU or an adapter is missing. */
  init(): Promise<GpuStatus>;
  status(): Promise<GpuStatus>;
  memory(): Promise<MemorySnapshot>;
  /** Registers a callback for device loss (called once, with the reason). */
  onDeviceLost(listener: (event: DeviceLostEvent) => void): Promise<void>;
  /** Multiplies two seeded random matrices on the GPU and checks the result against a CPU reference. */
  checkMatmul(request: MatmulCheckRequest, jobId: string, onProgress?: (p: Progress) => void): Promise<MatmulCheckResult>;
  cancel(jobId: string): Promise<boolean>;
}

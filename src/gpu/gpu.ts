import { acquireDevice, openDevice, type AcquiredDevice, type AcquireOptions, type GpuAdapterInfo, type GpuFeatures } from './acquire';
import { BufferAllocator, type AllocOptions, type TrackedBuffer } from './allocator';
import { PipelineCache } from './pipelines';
import { Recorder } from './recorder';
import type { ShaderLibrary } from './shaderLibrary';
import { LabError } from '../errors';

export interface DeviceLostEvent {
  reason: GPUDeviceLostReason | 'unknown';
  message: string;
}

/** The limits later code plans against (model size, tile shapes, split bindings). */
export interface GpuLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBuffersPerShaderStage: number;
  minStorageBufferOffsetAlignment: number;
  minUniformBufferOffsetAlignment: number;
}

/**
 * The only object that talks to WebGPU. Kernels, model, trainer and evaluator get buffers from
 * `buffers`, record work on a `recorder()`, and read results back with `read`.
 */
export class Gpu {
  readonly buffers: BufferAllocator;
  readonly pipelines: PipelineCache;
  readonly limits: GpuLimits;
  private readonly lostListeners = new Set<(e: DeviceLostEvent) => void>();
  private lostEvent: DeviceLostEvent | undefined;
  private pendingErrors: Promise<GPUError | null>[] = [];
  private dispatched = 0;

  private constructor(
    readonly device: GPUDevice,
    readonly info: GpuAdapterInfo,
    readonly features: GpuFeatures,
    shaders: ShaderLibrary,
  ) {
    const l = device.limits;
    this.limits = {
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      minStorageBufferOffsetAlignment: l.minStorageBufferOffsetAlignment,
      minUniformBufferOffsetAlignment: l.minUniformBufferOffsetAlignment,
    };
    this.buffers = new BufferAllocator(device, l.maxBufferSize);
    this.pipelines = new PipelineCache(device, shaders);
    void device.lost.then((info) => {
      this.lostEvent = { reason: info.reason ?? 'unknown', message: info.message };
      for (const listener of this.lostListeners) listener(this.lostEvent);
    });
  }

  static async create(gpu: GPU | undefined, shaders: ShaderLibrary, options: AcquireOptions = {}): Promise<Gpu> {
    return Gpu.from(await acquireDevice(gpu, options), shaders);
  }

  /** On an adapter already found (Node chooses its Vulkan driver itself: see node.ts). */
  static async open(adapter: GPUAdapter, shaders: ShaderLibrary, options: AcquireOptions = {}): Promise<Gpu> {
    return Gpu.from(await openDevice(adapter), shaders);
  }

  private static from(acquired: AcquiredDevice, shaders: ShaderLibrary): Gpu {
    return new Gpu(acquired.device, acquired.info, acquired.features, shaders);
  }

  /** Called once with the reason when the device is lost (driver reset, tab backgrounded too long, destroy()). */
  onLost(listener: (e: DeviceLostEvent) => void): () => void {
    if (this.lostEvent) listener(this.lostEvent);
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  get lost(): DeviceLostEvent | undefined {
    return this.lostEvent;
  }

  /** Compute dispatches submitted on this device so far (the bench's dispatches per step). */
  get dispatchCount(): number {
    return this.dispatched;
  }

  recorder(options: { profile?: boolean } = {}): Recorder {
    return new Recorder(this, options.profile ?? false);
  }

  alloc(bytes: number, options: AllocOptions): TrackedBuffer {
    return this.buffers.alloc(bytes, options);
  }

  /** A new storage buffer holding `data` (padded to 4 bytes). */
  upload(data: ArrayBufferView, options: AllocOptions): TrackedBuffer {
    const tracked = this.buffers.alloc(data.byteLength, options);
    this.write(tracked, data);
    return tracked;
  }

  write(target: TrackedBuffer | GPUBuffer, data: ArrayBufferView, offsetBytes = 0): void {
    const buffer = 'category' in target ? target.buffer : target;
    const bytes = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength % 4 === 0) {
      this.device.queue.writeBuffer(buffer, offsetBytes, bytes);
    } else {
      const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
      padded.set(bytes);
      this.device.queue.writeBuffer(buffer, offsetBytes, padded);
    }
  }

  /**
   * Submits one command buffer inside validation and out-of-memory error scopes; `sync` reports what they caught.
   * `dispatches` is the number of compute dispatches it holds, added to `dispatchCount`.
   */
  submit(commands: GPUCommandBuffer, dispatches = 0): void {
    this.dispatched += dispatches;
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    this.device.queue.submit([commands]);
    this.pendingErrors.push(this.device.popErrorScope(), this.device.popErrorScope());
  }

  /** Waits for all submitted work and throws the first GPU error it produced. */
  async sync(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    const errors = await Promise.all(this.pendingErrors.splice(0));
    const first = errors.find((e): e is GPUError => e !== null);
    if (first) throw new LabError(`GPU error: ${first.message}`, 'WebGPU');
    if (this.lostEvent) throw new LabError(`the GPU device was lost (${this.lostEvent.reason}): ${this.lostEvent.message}`, 'WebGPU');
  }

  /** Copies `bytes` from a GPU buffer into a new ArrayBuffer, after all work submitted before it. */
  async read(source: TrackedBuffer | GPUBuffer, bytes: number, offsetBytes = 0): Promise<ArrayBuffer> {
    const buffer = 'category' in source ? source.buffer : source;
    const staging = this.stagingBuffer(bytes);
    const encoder = this.device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(buffer, offsetBytes, staging.buffer, 0, Math.ceil(bytes / 4) * 4);
    this.submit(encoder.finish());
    return this.synced(this.readStaged(staging, bytes));
  }

  /**
   * What `reading` (a `readStaged`) gives, once a `sync` has passed too. A GPU error or a lost device that `sync`
   * reports is thrown before the read's own failure, which it explains.
   */
  async synced<T>(reading: Promise<T>): Promise<T> {
    const [read, synced] = await Promise.allSettled([reading, this.sync()]);
    if (synced.status === 'rejected') throw synced.reason;
    if (read.status === 'rejected') throw read.reason;
    return read.value;
  }

  /** A buffer the CPU can map, for a recorded copy to fill and `readStaged` to read. */
  stagingBuffer(bytes: number): TrackedBuffer {
    return this.buffers.alloc(bytes, { label: 'readback', category: 'staging', usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /**
   * The first `bytes` of a `stagingBuffer` once the work submitted so far is done (mapping waits for it), then frees
   * it. Unlike `read` it does not `sync`, so later work may already be queued behind it; a GPU error surfaces at the
   * next `sync`, which the caller must reach before it trusts what it read.
   */
  async readStaged(staging: TrackedBuffer, bytes: number): Promise<ArrayBuffer> {
    try {
      await staging.buffer.mapAsync(GPUMapMode.READ, 0, staging.bytes);
      const copy = staging.buffer.getMappedRange(0, staging.bytes).slice(0, bytes);
      staging.buffer.unmap();
      return copy;
    } finally {
      this.buffers.free(staging);
    }
  }

  async readF32(source: TrackedBuffer | GPUBuffer, count: number, offsetElements = 0): Promise<Float32Array> {
    return new Float32Array(await this.read(source, count * 4, offsetElements * 4));
  }

  async readU32(source: TrackedBuffer | GPUBuffer, count: number, offsetElements = 0): Promise<Uint32Array> {
    return new Uint32Array(await this.read(source, count * 4, offsetElements * 4));
  }

  destroy(): void {
    this.buffers.freeAll();
    this.device.destroy();
  }
}

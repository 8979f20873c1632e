import { LabError } from '../errors';
import { formatBytes } from '../util/formatBytes';

/** What a buffer holds, for the memory breakdown the planner and the UI show. */
export type MemoryCategory =
  'weights' | 'lora' | 'optimizer' | 'activations' | 'kv-cache' | 'logits' | 'scratch' | 'uniforms' | 'staging' | 'other';

export interface TrackedBuffer {
  readonly buffer: GPUBuffer;
  /** Size as requested; the GPU buffer is rounded up to a multiple of 4 bytes. */
  readonly bytes: number;
  readonly label: string;
  readonly category: MemoryCategory;
}

export interface AllocOptions {
  label: string;
  category?: MemoryCategory;
  usage?: GPUBufferUsageFlags;
}

export interface MemorySnapshot {
  bytesInUse: number;
  peakBytes: number;
  buffers: number;
  byCategory: Partial<Record<MemoryCategory, number>>;
}

/** Creates every GPU buffer the engine holds and accounts each byte, so memory plans can be checked against reality. */
export class BufferAllocator {
  private readonly live = new Set<TrackedBuffer>();
  private inUse = 0;
  private peak = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
  ) {}

  static readonly STORAGE = 0x80 | 0x08 | 0x04; // STORAGE | COPY_DST | COPY_SRC, spelt out so Node and browser agree

  alloc(bytes: number, options: AllocOptions): TrackedBuffer {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new LabError(`invalid buffer size ${bytes}`, options.label);
    }
    const rounded = Math.max(4, Math.ceil(bytes / 4) * 4);
    if (rounded > this.maxBufferSize) {
      throw new LabError(
        `needs a ${formatBytes(rounded)} buffer but this GPU allows at most ${formatBytes(this.maxBufferSize)} per buffer`,
        options.label,
        'Split the tensor across several buffers, or use a smaller model or context.',
      );
    }
    const buffer = this.device.createBuffer({
      size: rounded,
      usage: options.usage ?? BufferAllocator.STORAGE,
      label: options.label,
    });
    const tracked: TrackedBuffer = { buffer, bytes: rounded, label: options.label, category: options.category ?? 'other' };
    this.live.add(tracked);
    this.inUse += rounded;
    this.peak = Math.max(this.peak, this.inUse);
    return tracked;
  }

  free(tracked: TrackedBuffer): void {
    if (!this.live.delete(tracked)) return;
    this.inUse -= tracked.bytes;
    tracked.buffer.destroy();
  }

  freeAll(): void {
    for (const t of [...this.live]) this.free(t);
  }

  get bytesInUse(): number {
    return this.inUse;
  }

  snapshot(): MemorySnapshot {
    const byCategory: Partial<Record<MemoryCategory, number>> = {};
    for (const t of this.live) byCategory[t.category] = (byCategory[t.category] ?? 0) + t.bytes;
    return { bytesInUse: this.inUse, peakBytes: this.peak, buffers: this.live.size, byCategory };
  }

  resetPeak(): void {
    this.peak = this.inUse;
  }
}

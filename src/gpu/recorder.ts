import type { Gpu } from './gpu';
import type { KernelSpec } from './pipelines';
import type { TrackedBuffer } from './allocator';
import type { PackedUniforms } from './uniforms';

/** A storage binding: a whole buffer, or a byte range of one. */
export type Binding = TrackedBuffer | GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number; range: true };

/** The bytes a binding spans. */
export function bindingBytes(b: Binding): number {
  if ('range' in b) return b.size ?? b.buffer.size - (b.offset ?? 0);
  return 'category' in b ? b.bytes : b.size;
}

export type Workgroups = readonly [number, number?, number?];

interface DispatchOp {
  kind: 'dispatch';
  spec: KernelSpec;
  bindings: readonly Binding[];
  uniforms?: PackedUniforms;
  workgroups: Workgroups;
}

interface CopyOp {
  kind: 'copy';
  src: GPUBuffer;
  srcOffset: number;
  dst: GPUBuffer;
  dstOffset: number;
  bytes: number;
}

interface ClearOp {
  kind: 'clear';
  buffer: GPUBuffer;
  offset: number;
  bytes?: number;
}

type Op = DispatchOp | CopyOp | ClearOp;

export interface KernelTiming {
  kernel: string;
  ns: number;
}

/**
 * Records many kernel dispatches and submits them in one command buffer. Binding convention: when a
 * dispatch has uniforms they are `@binding(0)` and the storage buffers follow from `@binding(1)` in the
 * order given; without uniforms the storage buffers start at `@binding(0)`. All uniforms of one
 * submission share a single buffer, written once.
 */
export class Recorder {
  private ops: Op[] = [];
  private dispatched = 0;
  private pendingTimings: Promise<KernelTiming[]> | undefined;

  constructor(
    readonly gpu: Gpu,
    private readonly profile = false,
  ) {}

  dispatch(spec: KernelSpec, bindings: readonly Binding[], workgroups: Workgroups, uniforms?: PackedUniforms): this {
    const limit = this.gpu.limits.maxComputeWorkgroupsPerDimension;
    for (const n of workgroups) {
      if (n !== undefined && (!Number.isInteger(n) || n < 0 || n > limit)) {
        throw new RangeError(`${spec.shader}: workgroup count ${n} outside 0..${limit}; split the grid (see gpu/grid.ts)`);
      }
    }
    this.gpu.pipelines.checkUniforms(spec, uniforms?.layout);
    this.ops.push({ kind: 'dispatch', spec, bindings, uniforms, workgroups });
    this.dispatched++;
    return this;
  }

  copy(src: GPUBuffer | TrackedBuffer, dst: GPUBuffer | TrackedBuffer, bytes: number, srcOffset = 0, dstOffset = 0): this {
    this.ops.push({ kind: 'copy', src: rawBuffer(src), dst: rawBuffer(dst), bytes, srcOffset, dstOffset });
    return this;
  }

  clear(buffer: GPUBuffer | TrackedBuffer, offset = 0, bytes?: number): this {
    this.ops.push({ kind: 'clear', buffer: rawBuffer(buffer), offset, bytes });
    return this;
  }

  get length(): number {
    return this.ops.length;
  }

  /** Dispatches recorded on this recorder since it was made, submitted or not (the bench counts them per step). */
  get dispatchCount(): number {
    return this.dispatched;
  }

  /** Encodes everything recorded so far into one command buffer and submits it. */
  submit(): void {
    const ops = this.ops;
    this.ops = [];
    if (ops.length === 0) return;
    const device = this.gpu.device;
    const uniformBuffer = this.writeUniforms(ops);
    const encoder = device.createCommandEncoder({ label: 'recorder' });
    // A submission of only copies and clears has nothing to time (and a query set may not be empty).
    const hasDispatch = ops.some((op) => op.kind === 'dispatch');
    const timed = this.profile && this.gpu.features.timestamps && hasDispatch ? new TimestampSet(this.gpu, ops) : undefined;
    let pass: GPUComputePassEncoder | undefined;
    let timedIndex = 0;
    for (const op of ops) {
      if (op.kind !== 'dispatch') {
        pass?.end();
        pass = undefined;
        if (op.kind === 'copy') encoder.copyBufferToBuffer(op.src, op.srcOffset, op.dst, op.dstOffset, op.bytes);
        else encoder.clearBuffer(op.buffer, op.offset, op.bytes);
        continue;
      }
      if (timed) {
        pass?.end();
        pass = encoder.beginComputePass({ timestampWrites: timed.writesFor(timedIndex++) });
      } else if (!pass) {
        pass = encoder.beginComputePass();
      }
      const pipeline = this.gpu.pipelines.get(op.spec);
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, this.bindGroup(pipeline, op, uniformBuffer));
      pass.dispatchWorkgroups(op.workgroups[0], op.workgroups[1] ?? 1, op.workgroups[2] ?? 1);
      if (timed) {
        pass.end();
        pass = undefined;
      }
    }
    pass?.end();
    timed?.resolve(encoder);
    this.gpu.submit(encoder.finish(), ops.filter((op) => op.kind === 'dispatch').length);
    if (uniformBuffer) this.gpu.buffers.free(uniformBuffer.tracked);
    if (this.profile) this.pendingTimings = timed?.read();
  }

  /** Per-dispatch GPU times of the last profiled submission (empty where `timestamp-query` is missing). */
  async timings(): Promise<KernelTiming[]> {
    return this.pendingTimings ? this.pendingTimings : [];
  }

  private writeUniforms(ops: Op[]): { tracked: TrackedBuffer; offsets: Map<DispatchOp, number> } | undefined {
    const align = this.gpu.limits.minUniformBufferOffsetAlignment;
    const offsets = new Map<DispatchOp, number>();
    let total = 0;
    for (const op of ops) {
      if (op.kind === 'dispatch' && op.uniforms) {
        offsets.set(op, total);
        total += Math.ceil(op.uniforms.bytes.byteLength / align) * align;
      }
    }
    if (total === 0) return undefined;
    const tracked = this.gpu.buffers.alloc(total, {
      label: 'uniforms',
      category: 'uniforms',
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const staging = new Uint8Array(total);
    for (const [op, offset] of offsets) staging.set(new Uint8Array(op.uniforms!.bytes), offset);
    this.gpu.device.queue.writeBuffer(tracked.buffer, 0, staging);
    return { tracked, offsets };
  }

  private bindGroup(
    pipeline: GPUComputePipeline,
    op: DispatchOp,
    uniforms: { tracked: TrackedBuffer; offsets: Map<DispatchOp, number> } | undefined,
  ): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = [];
    if (op.uniforms) {
      entries.push({
        binding: 0,
        resource: { buffer: uniforms!.tracked.buffer, offset: uniforms!.offsets.get(op)!, size: op.uniforms.bytes.byteLength },
      });
    }
    const first = entries.length;
    op.bindings.forEach((b, i) => entries.push({ binding: first + i, resource: bufferBinding(b) }));
    return this.gpu.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: op.spec.shader });
  }
}

function rawBuffer(b: GPUBuffer | TrackedBuffer): GPUBuffer {
  return 'category' in b ? b.buffer : b;
}

function bufferBinding(b: Binding): GPUBufferBinding {
  if ('range' in b) return { buffer: b.buffer, offset: b.offset, size: b.size };
  if ('category' in b) return { buffer: b.buffer };
  return { buffer: b };
}

/** Timestamp pairs around each dispatch of one submission, resolved into a readable buffer. */
class TimestampSet {
  private static readonly MAX_QUERIES = 4096;
  private readonly querySet: GPUQuerySet;
  private readonly count: number;
  private readonly names: string[];
  private readonly resolveBuffer: TrackedBuffer;

  constructor(
    private readonly gpu: Gpu,
    ops: Op[],
  ) {
    this.names = ops
      .filter((o): o is DispatchOp => o.kind === 'dispatch')
      .map((o) => (o.spec.entryPoint && o.spec.entryPoint !== 'main' ? `${o.spec.shader}.${o.spec.entryPoint}` : o.spec.shader));
    this.count = Math.min(this.names.length * 2, TimestampSet.MAX_QUERIES);
    this.querySet = gpu.device.createQuerySet({ type: 'timestamp', count: this.count });
    this.resolveBuffer = gpu.buffers.alloc(this.count * 8, {
      label: 'timestamps',
      category: 'staging',
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
  }

  writesFor(index: number): GPUComputePassTimestampWrites | undefined {
    if (index * 2 + 1 >= this.count) return undefined;
    return { querySet: this.querySet, beginningOfPassWriteIndex: index * 2, endOfPassWriteIndex: index * 2 + 1 };
  }

  resolve(encoder: GPUCommandEncoder): void {
    encoder.resolveQuerySet(this.querySet, 0, this.count, this.resolveBuffer.buffer, 0);
  }

  async read(): Promise<KernelTiming[]> {
    const bytes = await this.gpu.read(this.resolveBuffer, this.count * 8);
    this.gpu.buffers.free(this.resolveBuffer);
    this.querySet.destroy();
    const stamps = new BigUint64Array(bytes);
    const out: KernelTiming[] = [];
    for (let i = 0; i * 2 + 1 < this.count; i++) {
      out.push({ kernel: this.names[i], ns: Number(stamps[i * 2 + 1] - stamps[i * 2]) });
    }
    return out;
  }
}

import type { Gpu } from '../gpu/gpu';
import type { TrackedBuffer } from '../gpu/allocator';
import type { Binding } from '../gpu/recorder';
import { LabError } from '../errors';
import { ggmlType, type GgmlTypeName } from '../formats/ggmlTypes';

/** The weight formats the quantized kernels decode (the `FORMAT` override constant is the ggml type id). */
export type QuantFormat = 'F32' | 'F16' | 'Q4_0' | 'Q8_0' | 'Q4_K' | 'Q6_K';

export const QUANT_FORMATS: readonly QuantFormat[] = ['F32', 'F16', 'Q4_0', 'Q8_0', 'Q4_K', 'Q6_K'];

/**
 * One binding's worth of a weight: rows rowStart .. rowStart + rows − 1, raw GGUF row bytes from byte `byteOffset` of
 * the buffer (0, or the start of a section of a `StackedWeight`).
 */
export interface WeightPart {
  buffer: TrackedBuffer;
  byteOffset: number;
  rowStart: number;
  rows: number;
}

/**
 * A GGUF weight tensor on the GPU in its file layout: dims [ne0 = K (in), ne1 = N (out)], N rows of K values,
 * each row `rowBytes` bytes of `format` blocks. Split by rows into parts no larger than the binding limit.
 */
export interface QuantizedWeight {
  format: QuantFormat;
  /** ggml type id: the kernels' FORMAT constant. */
  formatId: number;
  /** Output features (rows, ne1). */
  N: number;
  /** Input features (values per row, ne0). */
  K: number;
  rowBytes: number;
  parts: WeightPart[];
  label: string;
}

export function isQuantFormat(name: string): name is QuantFormat {
  return (QUANT_FORMATS as readonly string[]).includes(name);
}

/** Bytes of one row of K values of `format`, or a LabError when K is not a whole number of blocks (or of 8 values). */
export function rowByteLength(format: QuantFormat, K: number, label = 'weight'): number {
  const type = ggmlType(format as GgmlTypeName);
  // The kernels decode 8 values at a time, all from one block.
  const granule = Math.max(type.blockElements, 8);
  if (!Number.isInteger(K) || K <= 0 || K % granule !== 0) {
    throw new LabError(
      `${format} rows of ${K} values are not supported: the row length must be a positive multiple of ${granule}`,
      label,
      'this model has a layer width the quantized kernels cannot read; choose another model file',
    );
  }
  return (K / type.blockElements) * type.blockBytes;
}

/**
 * How to split N rows of `rowBytes` each into runs that each fit in one binding of `maxBindingBytes` (each part's
 * buffer also carries 4 bytes of padding, see `allocateQuantizedWeight`). Where rows are not a whole number of
 * words (Q4_0, Q8_0 and Q6_K rows with an odd block count), parts hold an even number of rows so that every part
 * starts on a word of the tensor's bytes and streamed chunks can be written with `writeBuffer`.
 */
export function planRowSplit(N: number, rowBytes: number, maxBindingBytes: number, label = 'weight'): { rowStart: number; rows: number }[] {
  let rowsPerPart = Math.floor((maxBindingBytes - 8) / rowBytes);
  if (rowBytes % 4 !== 0 && rowsPerPart < N) rowsPerPart -= rowsPerPart % 2;
  if (rowsPerPart < 1) {
    const need = rowBytes % 4 === 0 ? 'one row' : 'two rows (a part must start on a word)';
    throw new LabError(
      `a row is ${rowBytes} bytes and ${need} do not fit in a storage binding (${maxBindingBytes} bytes)`,
      label,
      'this GPU cannot hold the model’s rows; try a GPU with a larger maxStorageBufferBindingSize',
    );
  }
  const parts: { rowStart: number; rows: number }[] = [];
  for (let rowStart = 0; rowStart < N; rowStart += rowsPerPart) parts.push({ rowStart, rows: Math.min(rowsPerPart, N - rowStart) });
  return parts;
}

export interface AllocateWeightOptions {
  format: QuantFormat;
  N: number;
  K: number;
  label: string;
  /** Binding size limit; defaults to the device's maxStorageBufferBindingSize (tests force small values). */
  maxBindingBytes?: number;
}

/**
 * GPU buffers for a weight in its GGUF layout, one per part, to be filled with `writeQuantizedWeightBytes`. Rows
 * are kept as they are in the file (no repacking); each buffer gets 4 spare bytes so the kernels' word-pair reads
 * at a row's last unaligned field stay in bounds.
 */
export function allocateQuantizedWeight(gpu: Gpu, options: AllocateWeightOptions): QuantizedWeight {
  const { format, N, K, label } = options;
  const rowBytes = rowByteLength(format, K, label);
  const limit = options.maxBindingBytes ?? gpu.limits.maxStorageBufferBindingSize;
  const parts = planRowSplit(N, rowBytes, limit, label).map(({ rowStart, rows }, i, all) => ({
    buffer: gpu.alloc(rows * rowBytes + 4, {
      label: all.length > 1 ? `${label} [part ${i + 1}/${all.length}]` : label,
      category: 'weights' as const,
    }),
    byteOffset: 0,
    rowStart,
    rows,
  }));
  return { format, formatId: ggmlType(format as GgmlTypeName).id, N, K, rowBytes, parts, label };
}

/**
 * A part as the kernels bind it: its rows and 4 spare bytes (in whole words, as storage bindings must be), or the
 * whole buffer where the part starts it.
 */
export function partBinding(weight: QuantizedWeight, part: WeightPart): Binding {
  if (part.byteOffset === 0) return part.buffer;
  const size = Math.ceil((part.rows * weight.rowBytes + 4) / 4) * 4;
  return { buffer: part.buffer.buffer, offset: part.byteOffset, size, range: true };
}

/** A binding offset every WebGPU device accepts (minStorageBufferOffsetAlignment is at most 256). */
export const BINDING_OFFSET_ALIGN_BYTES = 256;

/**
 * Weights of one row length (K values) in one buffer, section after section (q, k, v; gate, up), so that one binding
 * reads them all: the fused matvec products (src/kernels/qmatvecStacked.ts, which says which formats a stack may
 * mix). Each section is also a weight of its own, in its own format, one part bound as a range of the buffer, for
 * every other kernel. `format` and `formatId` are the first section's, the fused kernel's FORMAT.
 */
export interface StackedWeight {
  format: QuantFormat;
  formatId: number;
  K: number;
  buffer: TrackedBuffer;
  sections: QuantizedWeight[];
  label: string;
}

/**
 * Where the sections of N rows of rowBytes each go in a stacked buffer, and its size: each keeps its 4 spare bytes and
 * starts on an offset any device can bind.
 */
export function stackedLayout(sections: readonly { N: number; rowBytes: number }[]): { offsets: number[]; bytes: number } {
  const offsets: number[] = [];
  let bytes = 0;
  for (const { N, rowBytes } of sections) {
    const start = Math.ceil(bytes / BINDING_OFFSET_ALIGN_BYTES) * BINDING_OFFSET_ALIGN_BYTES;
    offsets.push(start);
    bytes = start + N * rowBytes + 4;
  }
  return { offsets, bytes };
}

export interface AllocateStackedOptions {
  K: number;
  /** Each section's rows, format and label. */
  sections: readonly { N: number; format: QuantFormat; label: string }[];
  label: string;
  maxBindingBytes?: number;
}

/** One buffer for the sections, to be filled section by section with `writeQuantizedWeightBytes`. */
export function allocateStackedWeight(gpu: Gpu, options: AllocateStackedOptions): StackedWeight {
  const { K, label } = options;
  const shapes = options.sections.map((s) => ({ ...s, rowBytes: rowByteLength(s.format, K, s.label) }));
  const layout = stackedLayout(shapes);
  const limit = options.maxBindingBytes ?? gpu.limits.maxStorageBufferBindingSize;
  if (layout.bytes > limit) {
    throw new LabError(
      `a stack of ${layout.bytes} bytes does not fit a storage binding (${limit} bytes)`,
      label,
      'store these weights apart (src/model/layerStacks.ts decides)',
    );
  }
  const buffer = gpu.alloc(layout.bytes, { label, category: 'weights' });
  const sections = shapes.map(({ N, format, rowBytes, label }, i) => ({
    format,
    formatId: ggmlType(format as GgmlTypeName).id,
    N,
    K,
    rowBytes,
    parts: [{ buffer, byteOffset: layout.offsets[i], rowStart: 0, rows: N }],
    label,
  }));
  return { format: sections[0].format, formatId: sections[0].formatId, K, buffer, sections, label };
}

/**
 * Writes `bytes`, found at byte `tensorOffset` of the tensor's data in the file, into the parts they belong to
 * (a chunk may straddle parts). `tensorOffset` must be a multiple of 4, as GGUF tensor chunks are.
 */
export function writeQuantizedWeightBytes(gpu: Gpu, weight: QuantizedWeight, tensorOffset: number, bytes: Uint8Array): void {
  const total = weight.N * weight.rowBytes;
  if (tensorOffset % 4 !== 0 || tensorOffset < 0 || tensorOffset + bytes.byteLength > total) {
    throw new LabError(
      `cannot write ${bytes.byteLength} bytes at offset ${tensorOffset} of a ${total}-byte tensor (offsets must be multiples of 4)`,
      weight.label,
      'this is a loader bug: stream the tensor in chunks of whole words',
    );
  }
  for (const part of weight.parts) {
    const partStart = part.rowStart * weight.rowBytes;
    const partEnd = partStart + part.rows * weight.rowBytes;
    const from = Math.max(tensorOffset, partStart);
    const to = Math.min(tensorOffset + bytes.byteLength, partEnd);
    if (from >= to) continue;
    gpu.write(part.buffer, bytes.subarray(from - tensorOffset, to - tensorOffset), part.byteOffset + from - partStart);
  }
}

export interface UploadWeightOptions extends AllocateWeightOptions {
  /** The tensor's bytes exactly as stored in the GGUF file. */
  bytes: Uint8Array;
}

/** Allocates and fills a weight from all of its bytes at once (tests, benchmarks, small tensors). */
export function uploadQuantizedWeight(gpu: Gpu, options: UploadWeightOptions): QuantizedWeight {
  const { format, N, K, bytes, label } = options;
  const rowBytes = rowByteLength(format, K, label);
  if (bytes.byteLength !== N * rowBytes) {
    throw new LabError(
      `has ${bytes.byteLength} bytes but ${N} rows of ${K} ${format} values take ${N * rowBytes}`,
      label,
      'the file is damaged or its tensor table disagrees with its data',
    );
  }
  const weight = allocateQuantizedWeight(gpu, options);
  writeQuantizedWeightBytes(gpu, weight, 0, bytes);
  return weight;
}

export function freeQuantizedWeight(gpu: Gpu, weight: QuantizedWeight): void {
  for (const part of weight.parts) gpu.buffers.free(part.buffer);
}

import { LabError } from '../../errors';
import { ggmlType, type GgmlTypeName } from '../ggmlTypes';
import { GgufValueType, type GgufFile, type GgufValue, type GgufValueTypeInfo } from './types';

/** One metadata entry to write; `type` is inferred when absent (see `inferValueType`). */
export interface GgufMetaEntry {
  key: string;
  value: GgufValue;
  type?: GgufValueTypeInfo;
}

/** One tensor to write: its encoded bytes (from `src/formats/quant`), ggml-order dims and type. */
export interface GgufTensorToWrite {
  name: string;
  /** ggml order: dims[0] is the row length. */
  dims: number[];
  type: GgmlTypeName;
  data: Uint8Array;
}

export interface GgufLayout {
  /** Header bytes: magic, counts, metadata, tensor infos, padding up to the data section. */
  header: Uint8Array;
  /** Offset of each tensor's data relative to the data section (same order as the input). */
  tensorOffsets: number[];
  /** Total file size. */
  byteLength: number;
  alignment: number;
}

const TEXT = new TextEncoder();
const DEFAULT_ALIGNMENT = 32;

/**
 * The type a value gets when none is given: integers in 0..2^32−1 → u32, negative 32-bit integers → i32, other
 * numbers → f32, bigint → u64 (i64 if negative), typed arrays by their element type, `string[]` → array of string.
 */
export function inferValueType(value: GgufValue, key: string): GgufValueTypeInfo {
  if (typeof value === 'string') return { type: GgufValueType.STRING };
  if (typeof value === 'boolean') return { type: GgufValueType.BOOL };
  if (typeof value === 'bigint') return { type: value < 0n ? GgufValueType.INT64 : GgufValueType.UINT64 };
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) return { type: GgufValueType.UINT32 };
    if (Number.isInteger(value) && value < 0 && value >= -0x80000000) return { type: GgufValueType.INT32 };
    return { type: GgufValueType.FLOAT32 };
  }
  const typed: [Function, GgufValueType][] = [
    [Uint8Array, GgufValueType.UINT8],
    [Int8Array, GgufValueType.INT8],
    [Uint16Array, GgufValueType.UINT16],
    [Int16Array, GgufValueType.INT16],
    [Uint32Array, GgufValueType.UINT32],
    [Int32Array, GgufValueType.INT32],
    [Float32Array, GgufValueType.FLOAT32],
    [Float64Array, GgufValueType.FLOAT64],
    [BigUint64Array, GgufValueType.UINT64],
    [BigInt64Array, GgufValueType.INT64],
  ];
  for (const [ctor, type] of typed) {
    if (value instanceof ctor) return { type: GgufValueType.ARRAY, element: { type } as GgufValueTypeInfo };
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return { type: GgufValueType.ARRAY, element: { type: GgufValueType.STRING } };
    return { type: GgufValueType.ARRAY, element: inferValueType(value[0], `${key}[0]`) };
  }
  throw new LabError(`cannot infer a GGUF type for metadata "${key}"`, 'GGUF writer');
}

/** Growable little-endian byte buffer. */
class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number) {
    this.reserve(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  i8(v: number) {
    this.reserve(1);
    this.view.setInt8(this.length, v);
    this.length += 1;
  }
  u16(v: number) {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  i16(v: number) {
    this.reserve(2);
    this.view.setInt16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number) {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number) {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number) {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  f64(v: number) {
    this.reserve(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }
  u64(v: bigint) {
    this.reserve(8);
    this.view.setBigUint64(this.length, v, true);
    this.length += 8;
  }
  i64(v: bigint) {
    this.reserve(8);
    this.view.setBigInt64(this.length, v, true);
    this.length += 8;
  }
  bytes(b: Uint8Array) {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string) {
    const b = TEXT.encode(s);
    this.u64(BigInt(b.length));
    this.bytes(b);
  }
  zeros(n: number) {
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function checkRange(key: string, v: number, lo: number, hi: number, integer = true): void {
  if (typeof v !== 'number' || Number.isNaN(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    throw new LabError(`metadata "${key}" value ${String(v)} does not fit its type`, 'GGUF writer');
  }
}

function writeScalar(w: ByteWriter, type: GgufValueType, value: GgufValue, key: string): void {
  const n = value as number;
  switch (type) {
    case GgufValueType.UINT8:
      checkRange(key, n, 0, 0xff);
      return w.u8(n);
    case GgufValueType.INT8:
      checkRange(key, n, -0x80, 0x7f);
      return w.i8(n);
    case GgufValueType.UINT16:
      checkRange(key, n, 0, 0xffff);
      return w.u16(n);
    case GgufValueType.INT16:
      checkRange(key, n, -0x8000, 0x7fff);
      return w.i16(n);
    case GgufValueType.UINT32:
      checkRange(key, n, 0, 0xffffffff);
      return w.u32(n);
    case GgufValueType.INT32:
      checkRange(key, n, -0x80000000, 0x7fffffff);
      return w.i32(n);
    case GgufValueType.FLOAT32:
      checkRange(key, n, -Infinity, Infinity, false);
      return w.f32(n);
    case GgufValueType.FLOAT64:
      checkRange(key, n, -Infinity, Infinity, false);
      return w.f64(n);
    case GgufValueType.UINT64:
      return w.u64(BigInt(value as bigint | number));
    case GgufValueType.INT64:
      return w.i64(BigInt(value as bigint | number));
    case GgufValueType.BOOL:
      if (typeof value !== 'boolean') throw new LabError(`metadata "${key}" should be a bool`, 'GGUF writer');
      return w.u8(value ? 1 : 0);
    case GgufValueType.STRING:
      if (typeof value !== 'string') throw new LabError(`metadata "${key}" should be a string`, 'GGUF writer');
      return w.string(value);
    default:
      throw new LabError(`metadata "${key}" has unknown type ${type}`, 'GGUF writer');
  }
}

function writeValue(w: ByteWriter, info: GgufValueTypeInfo, value: GgufValue, key: string): void {
  if (info.type !== GgufValueType.ARRAY) return writeScalar(w, info.type, value, key);
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) {
    throw new LabError(`metadata "${key}" should be an array`, 'GGUF writer');
  }
  const items = value as ArrayLike<GgufValue>;
  w.u32(info.element.type);
  w.u64(BigInt(items.length));
  for (let i = 0; i < items.length; i++) {
    if (info.element.type === GgufValueType.ARRAY) writeValue(w, info.element, items[i], `${key}[${i}]`);
    else writeScalar(w, info.element.type, items[i], key);
  }
}

/**
 * Lays out a GGUF v3 file: the header bytes (metadata, tensor infos, padding) and where each tensor goes.
 * Tensor data is not touched, so a multi-gigabyte file can be streamed by the caller part by part.
 */
export function layoutGguf(
  metadata: readonly GgufMetaEntry[],
  tensors: readonly { name: string; dims: number[]; type: GgmlTypeName }[],
  alignment = DEFAULT_ALIGNMENT,
): GgufLayout {
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new LabError(`alignment ${alignment} is not a power of two`, 'GGUF writer');
  }
  const keys = new Set<string>();
  const entries = [...metadata];
  if (alignment !== DEFAULT_ALIGNMENT && !entries.some((e) => e.key === 'general.alignment')) {
    entries.push({ key: 'general.alignment', value: alignment, type: { type: GgufValueType.UINT32 } });
  }
  const w = new ByteWriter();
  w.u32(0x46554747);
  w.u32(3);
  w.u64(BigInt(tensors.length));
  w.u64(BigInt(entries.length));
  for (const entry of entries) {
    if (keys.has(entry.key)) throw new LabError(`duplicate metadata key "${entry.key}"`, 'GGUF writer');
    keys.add(entry.key);
    w.string(entry.key);
    const info = entry.type ?? inferValueType(entry.value, entry.key);
    w.u32(info.type);
    writeValue(w, info, entry.value, entry.key);
  }
  const tensorOffsets: number[] = [];
  let offset = 0;
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) throw new LabError(`duplicate tensor name "${t.name}"`, 'GGUF writer');
    names.add(t.name);
    const type = ggmlType(t.type);
    if (t.dims.length < 1 || t.dims.length > 4 || t.dims.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new LabError(`tensor "${t.name}" has invalid dims [${t.dims.join(', ')}]`, 'GGUF writer');
    }
    if (t.dims[0] % type.blockElements !== 0) {
      throw new LabError(
        `tensor "${t.name}" row length ${t.dims[0]} is not a multiple of the ${t.type} block size ${type.blockElements}`,
        'GGUF writer',
        'choose another quant type for this tensor',
      );
    }
    w.string(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(BigInt(d));
    w.u32(type.id);
    w.u64(BigInt(offset));
    tensorOffsets.push(offset);
    offset += alignUp(tensorBytes(t.dims, t.type), alignment);
  }
  w.zeros(alignUp(w.length, alignment) - w.length);
  const header = w.result();
  const last = tensors.length
    ? tensorOffsets[tensors.length - 1] + tensorBytes(tensors[tensors.length - 1].dims, tensors[tensors.length - 1].type)
    : 0;
  return { header, tensorOffsets, byteLength: header.length + last, alignment };
}

/** Bytes of a tensor of `dims` in `type`. */
export function tensorBytes(dims: number[], type: GgmlTypeName): number {
  const t = ggmlType(type);
  return (dims.reduce((a, b) => a * b, 1) / t.blockElements) * t.blockBytes;
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/**
 * A whole GGUF file as a Blob (header plus padded tensor data, never concatenated into one JS buffer).
 * Each tensor's `data` must be exactly its size in its type.
 */
export function writeGguf(metadata: readonly GgufMetaEntry[], tensors: readonly GgufTensorToWrite[], alignment = DEFAULT_ALIGNMENT): Blob {
  const layout = layoutGguf(metadata, tensors, alignment);
  const parts: BlobPart[] = [layout.header as Uint8Array<ArrayBuffer>];
  let written = 0;
  tensors.forEach((t, i) => {
    const expected = tensorBytes(t.dims, t.type);
    if (t.data.length !== expected) {
      throw new LabError(
        `tensor "${t.name}" has ${t.data.length} bytes, ${t.type} [${t.dims.join(', ')}] needs ${expected}`,
        'GGUF writer',
      );
    }
    if (layout.tensorOffsets[i] > written) parts.push(new Uint8Array(layout.tensorOffsets[i] - written));
    parts.push(t.data as Uint8Array<ArrayBuffer>);
    written = layout.tensorOffsets[i] + t.data.length;
  });
  return new Blob(parts);
}

/** Every metadata entry of `file` whose key starts with `prefix` (default `tokenizer.`), with its exact type. */
export function copyMetadata(file: GgufFile, prefix = 'tokenizer.'): GgufMetaEntry[] {
  const out: GgufMetaEntry[] = [];
  for (const [key, value] of file.metadata) {
    if (key.startsWith(prefix)) out.push({ key, value, type: file.metadataTypes.get(key) });
  }
  return out;
}

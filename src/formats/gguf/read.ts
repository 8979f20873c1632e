import { LabError } from '../../errors';
import { ggmlByteLength, ggmlTypeById, type GgmlTypeName } from '../ggmlTypes';
import { BlobCursor } from './blobCursor';
import { sourceName, type ByteSource } from '../byteSource';
import { GgufValueType, type GgufFile, type GgufTensorInfo, type GgufValue, type GgufValueTypeInfo } from './types';

export interface ReadGgufOptions {
  /** Name used in error messages; defaults to the File's name. */
  name?: string;
  /** Tensor types the caller can use: a tensor of any other type is an error naming the tensor. Default: all. */
  supportedTypes?: readonly GgmlTypeName[];
  /** Upper bound on tensors (real models have hundreds to a few thousand). Default 1,000,000. */
  maxTensorCount?: number;
  /** Upper bound on the element count of one metadata array. Default 16M (a 152k vocabulary is far below). */
  maxArrayLength?: number;
  /** Upper bound on one string's bytes. Default 64 MiB. */
  maxStringBytes?: number;
  /** Bytes fetched from the Blob per slice while parsing the header. Default 1 MiB. */
  windowBytes?: number;
}

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4;
const MAX_NESTING = 8;
// ignoreBOM: a string may begin with U+FEFF (Llama 2's token 30143 is exactly that character) and must keep it.
const TEXT = new TextDecoder('utf-8', { ignoreBOM: true });

const SCALAR_BYTES: Partial<Record<GgufValueType, number>> = {
  [GgufValueType.UINT8]: 1,
  [GgufValueType.INT8]: 1,
  [GgufValueType.BOOL]: 1,
  [GgufValueType.UINT16]: 2,
  [GgufValueType.INT16]: 2,
  [GgufValueType.UINT32]: 4,
  [GgufValueType.INT32]: 4,
  [GgufValueType.FLOAT32]: 4,
  [GgufValueType.UINT64]: 8,
  [GgufValueType.INT64]: 8,
  [GgufValueType.FLOAT64]: 8,
};

/**
 * Parses a GGUF file's header (metadata and tensor infos, versions 2 and 3) by reading small Blob slices;
 * the tensor data is never read. Every count, length and offset is checked against the file size and the
 * limits in `options` before anything is allocated. Errors are LabErrors naming the file, the field or
 * tensor, and the byte offset.
 */
export async function readGguf(source: Blob | ByteSource, options: ReadGgufOptions = {}): Promise<GgufFile> {
  const fileName = options.name ?? sourceName(source, 'GGUF file');
  const r = new HeaderReader(source, fileName, options);
  return r.read();
}

class HeaderReader {
  private readonly c: BlobCursor;
  private readonly maxArrayLength: number;
  private readonly maxStringBytes: number;
  private readonly maxTensorCount: number;

  constructor(
    private readonly source: ByteSource,
    private readonly fileName: string,
    private readonly options: ReadGgufOptions,
  ) {
    this.c = new BlobCursor(source, fileName, options.windowBytes);
    this.maxArrayLength = options.maxArrayLength ?? 1 << 24;
    this.maxStringBytes = options.maxStringBytes ?? 1 << 26;
    this.maxTensorCount = options.maxTensorCount ?? 1_000_000;
  }

  private fail(what: string, at: number, hint?: string): never {
    const mangled = this.c.replacementCharNear(at)
      ? 'the file holds UTF-8 replacement bytes (EF BF BD) where binary numbers belong: it was saved or downloaded as text; download it again in binary mode'
      : hint;
    throw new LabError(what, `${this.fileName} (byte ${at})`, mangled);
  }

  /** A u64 field as a number, refused when it exceeds `limit`. */
  private async count(what: string, limit: number, limitWhy: string): Promise<number> {
    const at = this.c.position;
    await this.c.need(8, what);
    const n = this.c.u64();
    if (n > BigInt(limit)) this.fail(`${what} is ${n}, more than ${limitWhy} (${limit})`, at, 'the file is corrupt');
    return Number(n);
  }

  async read(): Promise<GgufFile> {
    const c = this.c;
    await c.need(8, 'magic and version');
    const magic = c.u32();
    if (magic !== GGUF_MAGIC) {
      this.fail(`not a GGUF file: magic is 0x${magic.toString(16).padStart(8, '0')}, expected "GGUF"`, 0, 'choose a .gguf model file');
    }
    const version = c.u32();
    if (version === 1) this.fail('GGUF version 1 is not supported (only 2 and 3)', 4, 'convert the model with a current llama.cpp');
    if (version !== 2 && version !== 3) {
      const hint =
        version === 0x02000000 || version === 0x03000000
          ? 'this looks like a big-endian GGUF; use a little-endian one'
          : 'only GGUF versions 2 and 3 are supported';
      this.fail(`unsupported GGUF version ${version}`, 4, hint);
    }
    // Smallest tensor info: empty name (8) + n_dims (4) + one dim (8) + type (4) + offset (8).
    const tensorCount = await this.count(
      'tensor count',
      Math.min(this.maxTensorCount, Math.floor(c.remaining / 32)),
      'the file could hold or the tensor limit',
    );
    // Smallest key/value: empty key (8) + type (4) + one byte value.
    const kvCount = await this.count('metadata count', Math.floor(c.remaining / 13), 'the file could hold');

    const metadata = new Map<string, GgufValue>();
    const metadataTypes = new Map<string, GgufValueTypeInfo>();
    for (let i = 0; i < kvCount; i++) {
      const keyAt = c.position;
      const key = await this.string(`key of metadata entry ${i}`);
      if (metadata.has(key)) this.fail(`duplicate metadata key "${key}"`, keyAt);
      const typeAt = c.position;
      await c.need(4, `type of metadata "${key}"`);
      const type = c.u32();
      const { value, info } = await this.value(type, `metadata "${key}"`, typeAt, 0);
      metadata.set(key, value);
      metadataTypes.set(key, info);
    }

    const alignment = this.alignment(metadata, metadataTypes);
    const relative: { info: Omit<GgufTensorInfo, 'offset'>; relOffset: number; at: number }[] = [];
    const names = new Set<string>();
    for (let i = 0; i < tensorCount; i++) {
      const at = c.position;
      const t = await this.tensorInfo(i, alignment);
      if (names.has(t.info.name)) this.fail(`duplicate tensor name "${t.info.name}"`, at);
      names.add(t.info.name);
      relative.push({ ...t, at });
    }
    const dataOffset = Math.ceil(c.position / alignment) * alignment;
    const tensors = relative.map(({ info, relOffset, at }) => {
      const offset = dataOffset + relOffset;
      if (offset + info.byteLength > this.source.size) {
        this.fail(
          `tensor "${info.name}" data (bytes ${offset}..${offset + info.byteLength}) runs past the end of the file (${this.source.size} bytes)`,
          at,
          'the file is truncated; download it again',
        );
      }
      return { ...info, offset };
    });
    this.checkNoOverlap(tensors);
    return { version, metadata, metadataTypes, tensors, alignment, dataOffset, byteLength: this.source.size };
  }

  private alignment(metadata: Map<string, GgufValue>, types: Map<string, GgufValueTypeInfo>): number {
    const value = metadata.get('general.alignment');
    if (value === undefined) return DEFAULT_ALIGNMENT;
    const type = types.get('general.alignment')?.type;
    if (type !== GgufValueType.UINT32 || typeof value !== 'number' || value === 0 || (value & (value - 1)) !== 0) {
      throw new LabError(`general.alignment must be a u32 power of two, got ${String(value)}`, this.fileName);
    }
    return value;
  }

  private async string(what: string): Promise<string> {
    const length = await this.count(
      `length of ${what}`,
      Math.min(this.maxStringBytes, this.c.remaining - 8),
      'the bytes left in the file or the string limit',
    );
    await this.c.need(length, what);
    return TEXT.decode(this.c.peekBytes(length));
  }

  private async value(type: number, what: string, at: number, depth: number): Promise<{ value: GgufValue; info: GgufValueTypeInfo }> {
    const c = this.c;
    if (type === GgufValueType.STRING) return { value: await this.string(what), info: { type } };
    if (type === GgufValueType.ARRAY) {
      if (depth >= MAX_NESTING) this.fail(`${what}: arrays nested deeper than ${MAX_NESTING}`, at);
      const elementAt = c.position;
      await c.need(4, `${what} element type`);
      const elementType = c.u32();
      if (elementType === GgufValueType.ARRAY && depth + 1 >= MAX_NESTING) {
        this.fail(`${what}: arrays nested deeper than ${MAX_NESTING}`, elementAt);
      }
      const minBytes = SCALAR_BYTES[elementType as GgufValueType] ?? (elementType === GgufValueType.STRING ? 8 : 12);
      if (!(elementType in GgufValueType)) this.fail(`${what}: unknown array element type ${elementType}`, elementAt);
      const length = await this.count(
        `${what} array length`,
        Math.min(this.maxArrayLength, Math.floor((c.remaining - 8) / minBytes)),
        'the bytes left in the file or the array limit',
      );
      return this.array(elementType, length, what, elementAt, depth);
    }
    const bytes = SCALAR_BYTES[type as GgufValueType];
    if (bytes === undefined) this.fail(`${what}: unknown value type ${type}`, at, 'the file is corrupt or from a newer GGUF version');
    await c.need(bytes, what);
    return { value: this.scalar(type), info: { type } as GgufValueTypeInfo };
  }

  private scalar(type: GgufValueType): number | bigint | boolean {
    const c = this.c;
    switch (type) {
      case GgufValueType.UINT8:
        return c.u8();
      case GgufValueType.INT8:
        return c.i8();
      case GgufValueType.UINT16:
        return c.u16();
      case GgufValueType.INT16:
        return c.i16();
      case GgufValueType.UINT32:
        return c.u32();
      case GgufValueType.INT32:
        return c.i32();
      case GgufValueType.FLOAT32:
        return c.f32();
      case GgufValueType.FLOAT64:
        return c.f64();
      case GgufValueType.UINT64:
        return c.u64();
      case GgufValueType.INT64:
        return c.i64();
      case GgufValueType.BOOL:
        return c.u8() !== 0;
      default:
        throw new Error(`not a scalar type: ${type}`);
    }
  }

  private async array(
    elementType: GgufValueType,
    length: number,
    what: string,
    at: number,
    depth: number,
  ): Promise<{ value: GgufValue; info: GgufValueTypeInfo }> {
    const c = this.c;
    if (elementType === GgufValueType.STRING || elementType === GgufValueType.ARRAY || elementType === GgufValueType.BOOL) {
      const out: GgufValue[] = [];
      let element: GgufValueTypeInfo = { type: elementType } as GgufValueTypeInfo;
      for (let i = 0; i < length; i++) {
        const itemAt = c.position;
        if (elementType === GgufValueType.ARRAY) {
          await c.need(4, `${what}[${i}] element type`);
          const inner = await this.value(GgufValueType.ARRAY, `${what}[${i}]`, itemAt, depth + 1);
          element = inner.info;
          out.push(inner.value);
        } else if (elementType === GgufValueType.STRING) {
          out.push(await this.string(`${what}[${i}]`));
        } else {
          await c.need(1, `${what}[${i}]`);
          out.push(c.u8() !== 0);
        }
      }
      return { value: out, info: { type: GgufValueType.ARRAY, element } };
    }
    const bytes = SCALAR_BYTES[elementType]!;
    const out = typedArrayFor(elementType, length);
    const perFill = Math.max(1, Math.floor((1 << 20) / bytes));
    for (let i = 0; i < length;) {
      const n = Math.min(perFill, length - i);
      await c.need(n * bytes, `${what}[${i}..${i + n}]`);
      for (const end = i + n; i < end; i++) out[i] = this.scalar(elementType) as never;
    }
    return { value: out, info: { type: GgufValueType.ARRAY, element: { type: elementType } as GgufValueTypeInfo } };
  }

  private async tensorInfo(index: number, alignment: number): Promise<{ info: Omit<GgufTensorInfo, 'offset'>; relOffset: number }> {
    const c = this.c;
    const name = await this.string(`name of tensor ${index}`);
    const where = `tensor "${name}"`;
    const dimsAt = c.position;
    await c.need(4, `${where} dimension count`);
    const nDims = c.u32();
    if (nDims < 1 || nDims > MAX_DIMS) this.fail(`${where} has ${nDims} dimensions (1 to ${MAX_DIMS} allowed)`, dimsAt);
    await c.need(8 * nDims + 4 + 8, `${where} shape, type and offset`);
    const dims: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; d++) {
      const n = c.u64();
      if (n === 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${where} dimension ${d} is ${n}`, dimsAt + 4 + 8 * d);
      dims.push(Number(n));
      elements *= Number(n);
      if (elements > this.source.size * 8) {
        this.fail(`${where} shape [${dims.join(', ')}...] has more elements than the file could hold`, dimsAt);
      }
    }
    const typeAt = c.position;
    const typeId = c.u32();
    const type = ggmlTypeById(typeId);
    if (!type) this.fail(`${where} has unknown ggml type id ${typeId}`, typeAt, 'the file is corrupt or needs a newer Lora Lab');
    if (this.options.supportedTypes && !this.options.supportedTypes.includes(type.name)) {
      this.fail(
        `${where} is ${type.name}, which is not supported (supported: ${this.options.supportedTypes.join(', ')})`,
        typeAt,
        'use a model quantised as Q4_0, Q8_0 or Q4_K_M',
      );
    }
    if (dims[0] % type.blockElements !== 0) {
      this.fail(`${where} row length ${dims[0]} is not a multiple of the ${type.name} block size ${type.blockElements}`, dimsAt);
    }
    const offsetAt = c.position;
    const relOffset = c.u64();
    if (relOffset > BigInt(this.source.size)) this.fail(`${where} data offset ${relOffset} is past the end of the file`, offsetAt);
    if (relOffset % BigInt(alignment) !== 0n)
      this.fail(`${where} data offset ${relOffset} is not a multiple of the alignment ${alignment}`, offsetAt);
    return { info: { name, dims, type, byteLength: ggmlByteLength(type, elements) }, relOffset: Number(relOffset) };
  }

  private checkNoOverlap(tensors: GgufTensorInfo[]): void {
    const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      if (sorted[i].offset < prev.offset + prev.byteLength) {
        throw new LabError(`tensor "${sorted[i].name}" data overlaps tensor "${prev.name}"`, this.fileName, 'the file is corrupt');
      }
    }
  }
}

function typedArrayFor(type: GgufValueType, length: number) {
  switch (type) {
    case GgufValueType.UINT8:
      return new Uint8Array(length);
    case GgufValueType.INT8:
      return new Int8Array(length);
    case GgufValueType.UINT16:
      return new Uint16Array(length);
    case GgufValueType.INT16:
      return new Int16Array(length);
    case GgufValueType.UINT32:
      return new Uint32Array(length);
    case GgufValueType.INT32:
      return new Int32Array(length);
    case GgufValueType.FLOAT32:
      return new Float32Array(length);
    case GgufValueType.FLOAT64:
      return new Float64Array(length);
    case GgufValueType.UINT64:
      return new BigUint64Array(length);
    case GgufValueType.INT64:
      return new BigInt64Array(length);
    default:
      throw new Error(`not a numeric type: ${type}`);
  }
}

import { LabError } from '../../errors';
import { f16ToF32, bf16ToF32 } from '../quant/f16';
import { sourceName, type ByteSource } from '../byteSource';
import { PLATFORM_LITTLE_ENDIAN } from './endian';
import { SAFETENSORS_DTYPE_BYTES, type SafetensorsDType, type SafetensorsFile, type SafetensorsTensorInfo } from './types';

export interface ReadSafetensorsOptions {
  /** Name used in error messages; defaults to the File's name. */
  name?: string;
  /** Upper bound on the JSON header. Default 100 MB (the limit of the reference implementation). */
  maxHeaderBytes?: number;
}

/**
 * Parses a safetensors file's header: u64 little-endian header length, a JSON object mapping tensor names to
 * `{ dtype, shape, data_offsets: [begin, end] }` (offsets relative to the data buffer after the header) plus an
 * optional `__metadata__` string map, then the data. Only the header is read. Checks: the header length fits
 * the file, the JSON is an object, every dtype is known, shape × dtype size equals the byte range, every range
 * lies inside the data buffer, and the ranges tile the buffer with no overlap and no gap.
 */
export async function readSafetensors(source: Blob | ByteSource, options: ReadSafetensorsOptions = {}): Promise<SafetensorsFile> {
  const file = options.name ?? sourceName(source, 'safetensors file');
  const fail = (what: string, hint = 'the file is corrupt or not a safetensors file'): never => {
    throw new LabError(what, file, hint);
  };
  if (source.size < 8) fail(`file is ${source.size} bytes, too short for the 8-byte header length`);
  const headerLength = new DataView(await source.slice(0, 8).arrayBuffer()).getBigUint64(0, true);
  const maxHeader = options.maxHeaderBytes ?? 100_000_000;
  if (headerLength > BigInt(source.size - 8)) fail(`header length ${headerLength} runs past the end of the file (${source.size} bytes)`);
  if (headerLength > BigInt(maxHeader)) fail(`header length ${headerLength} is larger than the ${maxHeader}-byte limit`);
  const dataOffset = 8 + Number(headerLength);
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(await source.slice(8, dataOffset).arrayBuffer());
    header = JSON.parse(text);
  } catch (error) {
    fail(`header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataBytes = source.size - dataOffset;
  let metadata: Record<string, string> = {};
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = checkMetadata(entry, fail);
      continue;
    }
    tensors.push(checkTensor(name, entry, dataOffset, dataBytes, fail));
  }
  tensors.sort((a, b) => a.offset - b.offset || a.byteLength - b.byteLength);
  let end = dataOffset;
  for (const t of tensors) {
    if (t.offset < end) fail(`tensor "${t.name}" overlaps the tensor before it`);
    if (t.offset > end) fail(`gap of ${t.offset - end} bytes before tensor "${t.name}"`);
    end = t.offset + t.byteLength;
  }
  if (end !== source.size) fail(`data buffer has ${source.size - end} bytes after the last tensor`, 'the file may be truncated or padded');
  return { metadata, tensors, dataOffset, byteLength: source.size };
}

function checkMetadata(entry: unknown, fail: (what: string) => never): Record<string, string> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail('__metadata__ is not an object');
  for (const [key, value] of Object.entries(entry as object)) {
    if (typeof value !== 'string') fail(`__metadata__ "${key}" is not a string`);
  }
  return { ...(entry as Record<string, string>) };
}

function checkTensor(
  name: string,
  entry: unknown,
  dataOffset: number,
  dataBytes: number,
  fail: (what: string) => never,
): SafetensorsTensorInfo {
  const where = `tensor "${name}"`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(`${where} entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof dtype !== 'string' || !(dtype in SAFETENSORS_DTYPE_BYTES)) fail(`${where} has unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    fail(`${where} shape ${JSON.stringify(shape)} is not a list of sizes`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    fail(`${where} data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`${where} data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataBytes) fail(`${where} data_offsets end ${end} is past the ${dataBytes}-byte data buffer`);
  const elements = (shape as number[]).reduce((a, b) => a * b, 1);
  const expected = elements * SAFETENSORS_DTYPE_BYTES[dtype as SafetensorsDType];
  if (!Number.isSafeInteger(expected) || expected !== end - begin) {
    fail(`${where} is ${dtype} [${(shape as number[]).join(', ')}] = ${expected} bytes, but data_offsets cover ${end - begin}`);
  }
  return { name, dtype: dtype as SafetensorsDType, shape: shape as number[], offset: dataOffset + begin, byteLength: end - begin };
}

/** A tensor's values as f32 (F32, F16 and BF16 tensors). */
export async function readSafetensorsF32(source: Blob | ByteSource, tensor: SafetensorsTensorInfo): Promise<Float32Array> {
  const bytes = await source.slice(tensor.offset, tensor.offset + tensor.byteLength).arrayBuffer();
  if (bytes.byteLength !== tensor.byteLength) throw new LabError(`short read of tensor "${tensor.name}"`, 'safetensors file');
  // The slice is a fresh buffer of exactly the tensor, so it is 4-byte aligned: viewed, not copied value by value.
  if (tensor.dtype === 'F32' && PLATFORM_LITTLE_ENDIAN) return new Float32Array(bytes);
  const view = new DataView(bytes);
  const count = tensor.byteLength / SAFETENSORS_DTYPE_BYTES[tensor.dtype];
  const out = new Float32Array(count);
  switch (tensor.dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = f16ToF32(view.getUint16(2 * i, true));
      break;
    case 'BF16':
      for (let i = 0; i < count; i++) out[i] = bf16ToF32(view.getUint16(2 * i, true));
      break;
    default:
      throw new LabError(`tensor "${tensor.name}" is ${tensor.dtype}; only F32, F16 and BF16 can be read as numbers`, 'safetensors file');
  }
  return out;
}

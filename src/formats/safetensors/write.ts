import { LabError } from '../../errors';
import { f32ToBf16, f32ToF16 } from '../quant/f16';
import { PLATFORM_LITTLE_ENDIAN } from './endian';

export interface SafetensorsTensorToWrite {
  name: string;
  dtype: 'F32' | 'F16' | 'BF16';
  shape: number[];
  values: Float32Array;
}

/**
 * A safetensors file as a Blob: the JSON header padded with spaces to a multiple of 8 bytes (so the data buffer
 * is 8-byte aligned, as the reference writer does), then each tensor's little-endian values in the given order.
 */
export function writeSafetensors(tensors: readonly SafetensorsTensorToWrite[], metadata?: Record<string, string>): Blob {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || Object.hasOwn(header, t.name))
      throw new LabError(`duplicate or reserved tensor name "${t.name}"`, 'safetensors writer');
    const elements = t.shape.reduce((a, b) => a * b, 1);
    if (elements !== t.values.length) {
      throw new LabError(
        `tensor "${t.name}" shape [${t.shape.join(', ')}] holds ${elements} values, got ${t.values.length}`,
        'safetensors writer',
      );
    }
    const data = encode(t);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + data.length] };
    parts.push(data);
    offset += data.length;
  }
  let json = JSON.stringify(header);
  const unpadded = new TextEncoder().encode(json).length;
  json += ' '.repeat((8 - (unpadded % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  return new Blob([length, headerBytes, ...parts] as Uint8Array<ArrayBuffer>[]);
}

function encode(t: SafetensorsTensorToWrite): Uint8Array {
  // A rank-16 7B checkpoint is ~500 MB of F32: its bytes as they are instead of a DataView call per value. A view,
  // not a copy: the Blob built from the parts copies them before writeSafetensors returns.
  if (t.dtype === 'F32' && PLATFORM_LITTLE_ENDIAN) return new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength);
  const width = t.dtype === 'F32' ? 4 : 2;
  const out = new Uint8Array(t.values.length * width);
  const view = new DataView(out.buffer);
  for (let i = 0; i < t.values.length; i++) {
    if (t.dtype === 'F32') view.setFloat32(4 * i, t.values[i], true);
    else view.setUint16(2 * i, t.dtype === 'F16' ? f32ToF16(t.values[i]) : f32ToBf16(t.values[i]), true);
  }
  return out;
}

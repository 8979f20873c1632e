import type { GgmlTypeName } from '../ggmlTypes';
import { GgufValueType, type GgufFile, type GgufValue, type GgufValueTypeInfo } from './types';

/**
 * A plain, JSON-safe description of a GGUF header for people: metadata with long arrays summarised, the tensor
 * table and byte totals per quant type. Used by `lora-lab inspect` and by the UI's model card.
 */
export interface GgufReport {
  file: string;
  byteLength: number;
  version: number;
  alignment: number;
  dataOffset: number;
  architecture: string | null;
  metadata: { key: string; type: string; value: string }[];
  tensors: { name: string; type: GgmlTypeName; dims: number[]; elements: number; bytes: number; offset: number }[];
  totals: { type: GgmlTypeName; tensors: number; elements: number; bytes: number }[];
  totalElements: number;
  totalTensorBytes: number;
}

const TYPE_NAMES: Record<number, string> = {
  [GgufValueType.UINT8]: 'u8',
  [GgufValueType.INT8]: 'i8',
  [GgufValueType.UINT16]: 'u16',
  [GgufValueType.INT16]: 'i16',
  [GgufValueType.UINT32]: 'u32',
  [GgufValueType.INT32]: 'i32',
  [GgufValueType.FLOAT32]: 'f32',
  [GgufValueType.BOOL]: 'bool',
  [GgufValueType.STRING]: 'string',
  [GgufValueType.UINT64]: 'u64',
  [GgufValueType.INT64]: 'i64',
  [GgufValueType.FLOAT64]: 'f64',
};

export function valueTypeName(info: GgufValueTypeInfo): string {
  return info.type === GgufValueType.ARRAY ? `${valueTypeName(info.element)}[]` : TYPE_NAMES[info.type];
}

/** The shortest decimal that reads back as the same f32 (0.00001 rather than 0.000009999999747378752). */
export function shortestF32(v: number): string {
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(v.toPrecision(digits)));
    if (Math.fround(Number(text)) === v) return text;
  }
  return String(Number(v.toPrecision(9)));
}

/** One value on one line: strings quoted and cut at `maxChars`, arrays as their length and first `maxItems` items. */
export function summarizeValue(value: GgufValue, maxItems = 5, maxChars = 80): string {
  if (typeof value === 'string') {
    const shown = JSON.stringify(value.length > maxChars ? `${value.slice(0, maxChars)}…` : value);
    return value.length > maxChars ? `${shown} (${value.length} chars)` : shown;
  }
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Float32Array) {
    const head = Array.from(value.subarray(0, maxItems), shortestF32);
    return `[${value.length}] ${head.join(', ')}${value.length > maxItems ? ', …' : ''}`;
  }
  const items = Array.from(value as ArrayLike<GgufValue>);
  const head = items.slice(0, maxItems).map((v) => summarizeValue(v, 3, 24));
  return `[${items.length}] ${head.join(', ')}${items.length > maxItems ? ', …' : ''}`;
}

export function ggufReport(file: GgufFile, fileName: string): GgufReport {
  const metadata = [...file.metadata].map(([key, value]) => ({
    key,
    type: valueTypeName(file.metadataTypes.get(key)!),
    value: file.metadataTypes.get(key)!.type === GgufValueType.FLOAT32 ? shortestF32(value as number) : summarizeValue(value),
  }));
  const tensors = file.tensors.map((t) => ({
    name: t.name,
    type: t.type.name,
    dims: t.dims,
    elements: t.dims.reduce((a, b) => a * b, 1),
    bytes: t.byteLength,
    offset: t.offset,
  }));
  const byType = new Map<GgmlTypeName, { type: GgmlTypeName; tensors: number; elements: number; bytes: number }>();
  for (const t of tensors) {
    const total = byType.get(t.type) ?? { type: t.type, tensors: 0, elements: 0, bytes: 0 };
    total.tensors++;
    total.elements += t.elements;
    total.bytes += t.bytes;
    byType.set(t.type, total);
  }
  const arch = file.metadata.get('general.architecture');
  return {
    file: fileName,
    byteLength: file.byteLength,
    version: file.version,
    alignment: file.alignment,
    dataOffset: file.dataOffset,
    architecture: typeof arch === 'string' ? arch : null,
    metadata,
    tensors,
    totals: [...byType.values()].sort((a, b) => b.bytes - a.bytes),
    totalElements: tensors.reduce((s, t) => s + t.elements, 0),
    totalTensorBytes: tensors.reduce((s, t) => s + t.bytes, 0),
  };
}

import { GGML_TYPES, ggmlType, type GgmlType, type GgmlTypeName } from '../ggmlTypes';
import { dequantizeBF16, dequantizeF16, dequantizeF32, quantizeF16, quantizeF32 } from './f16';
import { dequantizeQ4_1, dequantizeQ5_0, dequantizeQ5_1 } from './legacy';
import { dequantizeQ4_0, quantizeQ4_0 } from './q4_0';
import { dequantizeQ4_K, quantizeQ4_K } from './q4_K';
import { dequantizeQ5_K, dequantizeQ8_K } from './q5_K';
import { dequantizeQ6_K, quantizeQ6_K } from './q6_K';
import { dequantizeQ8_0, quantizeQ8_0 } from './q8_0';

export { GGML_TYPES, ggmlType, type GgmlType, type GgmlTypeName } from '../ggmlTypes';
export { f16ToF32, f32ToF16, bf16ToF32, f32ToBf16 } from './f16';
export { unpackScaleMin, packScaleMin } from './kScales';

/** Formats our reference quantiser can write. */
export const QUANTIZABLE_TYPES = ['F32', 'F16', 'Q8_0', 'Q4_0', 'Q4_K', 'Q6_K'] as const;
export type QuantizableType = (typeof QUANTIZABLE_TYPES)[number];

const QUANTIZERS: Record<QuantizableType, (values: Float32Array) => Uint8Array> = {
  F32: quantizeF32,
  F16: quantizeF16,
  Q8_0: quantizeQ8_0,
  Q4_0: quantizeQ4_0,
  Q4_K: quantizeQ4_K,
  Q6_K: quantizeQ6_K,
};

const DEQUANTIZERS: Partial<Record<GgmlTypeName, (bytes: Uint8Array, count: number) => Float32Array>> = {
  F32: dequantizeF32,
  F16: dequantizeF16,
  BF16: dequantizeBF16,
  Q4_0: dequantizeQ4_0,
  Q4_1: dequantizeQ4_1,
  Q5_0: dequantizeQ5_0,
  Q5_1: dequantizeQ5_1,
  Q8_0: dequantizeQ8_0,
  Q4_K: dequantizeQ4_K,
  Q5_K: dequantizeQ5_K,
  Q6_K: dequantizeQ6_K,
  Q8_K: dequantizeQ8_K,
};

/** Formats our reference decoder can read. */
export const DEQUANTIZABLE_TYPES = Object.keys(DEQUANTIZERS) as GgmlTypeName[];

/** Encodes f32 values (a whole number of blocks) in `type`'s block layout. */
export function quantize(type: QuantizableType, values: Float32Array): Uint8Array {
  return QUANTIZERS[type](values);
}

/** Decodes `count` values of `type` from block bytes: the plain reference that GPU kernels are tested against. */
export function dequantize(type: GgmlTypeName, bytes: Uint8Array, count: number): Float32Array {
  const decode = DEQUANTIZERS[type];
  if (!decode) throw new Error(`no reference decoder for ${type} (have ${DEQUANTIZABLE_TYPES.join(', ')})`);
  const needed = quantizedByteLength(ggmlType(type), count);
  if (bytes.length < needed) throw new Error(`${type}: ${count} values need ${needed} bytes, got ${bytes.length}`);
  return decode(bytes, count);
}

/** Bytes of `count` values of `type`; `count` must be a whole number of blocks. */
export function quantizedByteLength(type: GgmlType, count: number): number {
  if (count % type.blockElements !== 0) {
    throw new Error(`${type.name}: ${count} values is not a multiple of the block size ${type.blockElements}`);
  }
  return (count / type.blockElements) * type.blockBytes;
}

/** Block geometry of every ggml type, for kernels and planners: `{ Q4_K: { blockElements: 256, blockBytes: 144 }, ... }`. */
export const BLOCK_LAYOUTS: Readonly<Record<string, { blockElements: number; blockBytes: number }>> = Object.fromEntries(
  [...GGML_TYPES.values()].map((t) => [t.name, { blockElements: t.blockElements, blockBytes: t.blockBytes }]),
);

import type { GgmlType } from '../ggmlTypes';

/** The value types of GGUF metadata, with their ids in the file (gguf.md, `gguf_metadata_value_type`). */
export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/**
 * A metadata value as the reader returns it:
 * - 8/16/32-bit integers and f32/f64 scalars are `number`; u64/i64 scalars are `bigint` (use `metaNumber` to get a
 *   checked `number`); bools are `boolean`; strings are `string`.
 * - Arrays of numbers come back as typed arrays: u8 → Uint8Array, i8 → Int8Array, u16 → Uint16Array,
 *   i16 → Int16Array, u32 → Uint32Array, i32 → Int32Array (e.g. `tokenizer.ggml.token_type`),
 *   f32 → Float32Array (e.g. `tokenizer.ggml.scores`), f64 → Float64Array, u64 → BigUint64Array,
 *   i64 → BigInt64Array. Arrays of strings are `string[]` (e.g. `tokenizer.ggml.tokens`, `tokenizer.ggml.merges`),
 *   of bools `boolean[]`, of arrays `GgufValue[]`.
 */
export type GgufValue = number | bigint | boolean | string | GgufTypedArray | GgufValue[];

export type GgufTypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigUint64Array
  | BigInt64Array;

/** The declared type of a metadata value: scalars by type, arrays by element type (nested arrays recurse). */
export type GgufValueTypeInfo =
  { type: Exclude<GgufValueType, GgufValueType.ARRAY> } | { type: GgufValueType.ARRAY; element: GgufValueTypeInfo };

export interface GgufTensorInfo {
  name: string;
  /** Dimensions in ggml order: `dims[0]` (ne0) is the contiguous one, e.g. `[n_embd, n_vocab]` for `token_embd`. */
  dims: number[];
  type: GgmlType;
  /** Absolute byte offset of the tensor's data in the file (data section start + the tensor's relative offset). */
  offset: number;
  byteLength: number;
}

export interface GgufFile {
  version: number;
  metadata: Map<string, GgufValue>;
  /** The declared type of each metadata value, so a writer can reproduce the file exactly. */
  metadataTypes: Map<string, GgufValueTypeInfo>;
  tensors: GgufTensorInfo[];
  /** Data section alignment in bytes (`general.alignment`, 32 when absent). */
  alignment: number;
  /** Absolute byte offset where the tensor data section starts. */
  dataOffset: number;
  /** Size of the whole file in bytes. */
  byteLength: number;
}

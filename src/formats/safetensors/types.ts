/** Element types of the safetensors format and their sizes in bytes. */
export const SAFETENSORS_DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
} as const;

export type SafetensorsDType = keyof typeof SAFETENSORS_DTYPE_BYTES;

export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDType;
  /** Row-major shape, outermost first (PyTorch order: a LoRA A of rank r on a 4096-wide input is [r, 4096]). */
  shape: number[];
  /** Absolute byte offset of the tensor's data in the file. */
  offset: number;
  byteLength: number;
}

export interface SafetensorsFile {
  /** The `__metadata__` map (string to string), empty when absent. */
  metadata: Record<string, string>;
  /** In file order (by data offset). */
  tensors: SafetensorsTensorInfo[];
  /** Absolute offset of the data buffer: 8 + header length. */
  dataOffset: number;
  byteLength: number;
}

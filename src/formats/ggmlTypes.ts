/**
 * The ggml tensor element types a GGUF file can name, with their block geometry.
 *
 * Every ggml type stores values in fixed-size blocks: `blockElements` values packed into `blockBytes` bytes
 * (1 value per block for the plain types). A row of `ne0` values must be a whole number of blocks, so a tensor
 * of `n` values takes `n / blockElements * blockBytes` bytes. Ids and sizes are ggml's (ggml.h / ggml-common.h);
 * ids 4, 5 and 31-33, 36-38 were removed from ggml and are not valid in a file.
 * The block layouts themselves are documented beside their decoders in `src/formats/quant/`.
 */
export interface GgmlType {
  readonly id: number;
  readonly name: GgmlTypeName;
  /** Values per block (1 for F32/F16/BF16/integers, 32 for the *_0/*_1 formats, 256 for the K-quants). */
  readonly blockElements: number;
  /** Bytes per block. */
  readonly blockBytes: number;
}

export type GgmlTypeName =
  | 'F32'
  | 'F16'
  | 'Q4_0'
  | 'Q4_1'
  | 'Q5_0'
  | 'Q5_1'
  | 'Q8_0'
  | 'Q8_1'
  | 'Q2_K'
  | 'Q3_K'
  | 'Q4_K'
  | 'Q5_K'
  | 'Q6_K'
  | 'Q8_K'
  | 'IQ2_XXS'
  | 'IQ2_XS'
  | 'IQ3_XXS'
  | 'IQ1_S'
  | 'IQ4_NL'
  | 'IQ3_S'
  | 'IQ2_S'
  | 'IQ4_XS'
  | 'I8'
  | 'I16'
  | 'I32'
  | 'I64'
  | 'F64'
  | 'IQ1_M'
  | 'BF16'
  | 'TQ1_0'
  | 'TQ2_0'
  | 'MXFP4'
  | 'NVFP4'
  | 'Q1_0'
  | 'Q2_0';

const TABLE: ReadonlyArray<readonly [number, GgmlTypeName, number, number]> = [
  [0, 'F32', 1, 4],
  [1, 'F16', 1, 2],
  [2, 'Q4_0', 32, 18],
  [3, 'Q4_1', 32, 20],
  [6, 'Q5_0', 32, 22],
  [7, 'Q5_1', 32, 24],
  [8, 'Q8_0', 32, 34],
  [9, 'Q8_1', 32, 36],
  [10, 'Q2_K', 256, 84],
  [11, 'Q3_K', 256, 110],
  [12, 'Q4_K', 256, 144],
  [13, 'Q5_K', 256, 176],
  [14, 'Q6_K', 256, 210],
  [15, 'Q8_K', 256, 292],
  [16, 'IQ2_XXS', 256, 66],
  [17, 'IQ2_XS', 256, 74],
  [18, 'IQ3_XXS', 256, 98],
  [19, 'IQ1_S', 256, 50],
  [20, 'IQ4_NL', 32, 18],
  [21, 'IQ3_S', 256, 110],
  [22, 'IQ2_S', 256, 82],
  [23, 'IQ4_XS', 256, 136],
  [24, 'I8', 1, 1],
  [25, 'I16', 1, 2],
  [26, 'I32', 1, 4],
  [27, 'I64', 1, 8],
  [28, 'F64', 1, 8],
  [29, 'IQ1_M', 256, 56],
  [30, 'BF16', 1, 2],
  [34, 'TQ1_0', 256, 54],
  [35, 'TQ2_0', 256, 66],
  [39, 'MXFP4', 32, 17],
  [40, 'NVFP4', 64, 36],
  [41, 'Q1_0', 128, 18],
  [42, 'Q2_0', 64, 18],
];

/** Every known type, by id. */
export const GGML_TYPES: ReadonlyMap<number, GgmlType> = new Map(
  TABLE.map(([id, name, blockElements, blockBytes]) => [id, Object.freeze({ id, name, blockElements, blockBytes })]),
);

const BY_NAME: ReadonlyMap<GgmlTypeName, GgmlType> = new Map([...GGML_TYPES.values()].map((t) => [t.name, t]));

/** The type with this id, or undefined for an id ggml does not define. */
export function ggmlTypeById(id: number): GgmlType | undefined {
  return GGML_TYPES.get(id);
}

export function ggmlType(name: GgmlTypeName): GgmlType {
  const type = BY_NAME.get(name);
  if (!type) throw new Error(`unknown ggml type name ${name}`);
  return type;
}

/** Bytes of `elements` values of `type`; the caller has checked that `elements` is a whole number of blocks. */
export function ggmlByteLength(type: GgmlType, elements: number): number {
  return (elements / type.blockElements) * type.blockBytes;
}

import { LabError } from '../errors';

/**
 * How a stored tensor — one kept between kernels: the KV cache, training's layer checkpoints — sits in memory
 * (shaders/stored_values.wgsl): 'f16-packed', f16 pairs in u32 words (pack2x16float, on every WebGPU device, no
 * shader-f16 needed; half the bytes), or 'f32'. Arithmetic is f32 either way. f16 pairs are the default; f32 is the
 * exact option (the f32 reference comparisons and gradient checks run with it).
 */
export type StoredPrecision = 'f16-packed' | 'f32';

export const DEFAULT_STORED_PRECISION: StoredPrecision = 'f16-packed';

export const STORED_PRECISIONS: readonly StoredPrecision[] = ['f16-packed', 'f32'];

/** Bytes of a stored tensor of `values` values: an odd count of f16 pairs ends in a half-used word. */
export function storedBytes(values: number, precision: StoredPrecision): number {
  return precision === 'f32' ? values * 4 : Math.ceil(values / 2) * 4;
}

/** The value of a kernel's `f16` override constant for a tensor stored in `precision`. */
export function f16Constant(precision: StoredPrecision): number {
  return precision === 'f16-packed' ? 1 : 0;
}

/** Refuses what is not a stored precision (a typed option that came through a config file or the UI as text). */
export function checkStoredPrecision(value: unknown, where: string): StoredPrecision {
  if ((STORED_PRECISIONS as readonly unknown[]).includes(value)) return value as StoredPrecision;
  throw new LabError(`"${String(value)}" is not a storage precision`, where, `Use one of ${STORED_PRECISIONS.join(', ')}.`);
}

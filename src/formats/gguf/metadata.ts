import { LabError } from '../../errors';
import type { GgufFile, GgufValue } from './types';

/**
 * Typed access to GGUF metadata. Each getter throws a LabError naming the key when it is missing or has
 * the wrong type; the `opt*` forms return undefined for a missing key (and still check the type).
 */

function missing(key: string): never {
  throw new LabError(`metadata key "${key}" is missing`, 'GGUF metadata', 'the model file is incomplete or not a supported architecture');
}

function wrongType(key: string, expected: string, value: GgufValue): never {
  throw new LabError(`metadata key "${key}" should be ${expected}, found ${describe(value)}`, 'GGUF metadata');
}

function describe(value: GgufValue): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${value.length}`;
  return `${typeof value} ${String(value).slice(0, 40)}`;
}

export function optMetaString(file: GgufFile, key: string): string | undefined {
  const v = file.metadata.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') wrongType(key, 'a string', v);
  return v;
}

export function metaString(file: GgufFile, key: string): string {
  return optMetaString(file, key) ?? missing(key);
}

/** Any numeric scalar as a number; a u64/i64 beyond 2^53 is an error rather than a rounded value. */
export function optMetaNumber(file: GgufFile, key: string): number | undefined {
  const v = file.metadata.get(key);
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new LabError(`metadata key "${key}" is ${v}, too large to use as a number`, 'GGUF metadata');
    }
    return Number(v);
  }
  wrongType(key, 'a number', v);
}

export function metaNumber(file: GgufFile, key: string): number {
  return optMetaNumber(file, key) ?? missing(key);
}

export function optMetaBool(file: GgufFile, key: string): boolean | undefined {
  const v = file.metadata.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') wrongType(key, 'a bool', v);
  return v;
}

export function metaBool(file: GgufFile, key: string): boolean {
  return optMetaBool(file, key) ?? missing(key);
}

/** A `string[]` array (tokens, merges). */
export function metaStringArray(file: GgufFile, key: string): string[] {
  const v = file.metadata.get(key) ?? missing(key);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) wrongType(key, 'an array of strings', v);
  return v as string[];
}

/**
 * A numeric array as numbers, whatever its element type (scores are f32, token types i32; some writers use
 * other widths). Returns the stored typed array itself when it already is a Float32Array/Int32Array etc.
 */
export function metaNumberArray(file: GgufFile, key: string): ArrayLike<number> {
  const v = file.metadata.get(key) ?? missing(key);
  if (ArrayBuffer.isView(v) && !(v instanceof BigInt64Array || v instanceof BigUint64Array)) return v as ArrayLike<number>;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Array.from(v, (x) => Number(x));
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  wrongType(key, 'an array of numbers', v);
}

/** Any array value (typed or not), for keys whose element type varies. */
export function metaArray(file: GgufFile, key: string): ArrayLike<GgufValue> {
  const v = file.metadata.get(key) ?? missing(key);
  if (Array.isArray(v)) return v;
  if (ArrayBuffer.isView(v)) return v as ArrayLike<GgufValue>;
  wrongType(key, 'an array', v);
}

/** `general.architecture`, e.g. "llama" or "qwen2": the prefix of the model's hyperparameter keys. */
export function architecture(file: GgufFile): string {
  return metaString(file, 'general.architecture');
}

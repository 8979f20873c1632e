/**
 * IEEE half precision (binary16) and bfloat16 conversions, exact in both directions where the value fits.
 *
 * f16 bits: sign(1) exponent(5, bias 15) mantissa(10). Exponent 0 holds zero and the subnormals
 * (value = mantissa · 2^-24); exponent 31 holds ±Inf (mantissa 0) and NaN.
 * bf16 bits: the top 16 bits of an f32 (sign, 8-bit exponent, 7-bit mantissa).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The f16 bits nearest to `value` (first rounded to f32), ties to even; too large becomes ±Inf, NaN stays NaN. */
export function f32ToF16(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 31) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half: value = m · 2^(halfExponent - 14 - 10) with the implicit bit made explicit.
    if (halfExponent < -10) return sign; // below half the smallest subnormal (2^-25): rounds to zero
    const m = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    return sign | roundShift(m, shift);
  }
  // Normal half; a carry out of the mantissa correctly bumps the exponent (up to Inf).
  return sign | ((halfExponent << 10) + roundShift(mantissa, 13));
}

/** `m >> shift`, rounded to nearest with ties to even. */
function roundShift(m: number, shift: number): number {
  const kept = m >>> shift;
  const rest = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** The exact f32 value of f16 bits. */
export function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** The exact f32 value of bf16 bits. */
export function bf16ToF32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

/** The bf16 bits nearest to `value` (ties to even); NaN stays NaN. */
export function f32ToBf16(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** F16 tensor bytes (little-endian) from f32 values. */
export function quantizeF16(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(2 * i, f32ToF16(values[i]), true);
  return out;
}

export function dequantizeF16(bytes: Uint8Array, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = f16ToF32(view.getUint16(2 * i, true));
  return out;
}

export function dequantizeBF16(bytes: Uint8Array, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = bf16ToF32(view.getUint16(2 * i, true));
  return out;
}

/** F32 tensor bytes: the values themselves, little-endian. */
export function quantizeF32(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return out;
}

export function dequantizeF32(bytes: Uint8Array, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

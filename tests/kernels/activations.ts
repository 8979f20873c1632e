import type { Gpu } from '../../src/gpu/gpu';
import type { TrackedBuffer } from '../../src/gpu/allocator';
import type { ActivationPrecision } from '../../src/gpu/shaderLibrary';

/** The activation precisions this adapter can run: f32 always, f16 where `shader-f16` is offered. */
export function activationPrecisions(gpu: Gpu): ActivationPrecision[] {
  return gpu.features.f16 ? ['f32', 'f16'] : ['f32'];
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** IEEE binary16 bits of `value`, rounded to nearest even (what a WGSL f32→f16 conversion does). */
export function f16Bits(value: number): number {
  scratch[0] = value;
  const x = scratchBits[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mantissa >>> 13;
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

export function f16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >>> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** `data` as the kernel will see it after storage in `precision` (identity for f32). */
export function roundToActivation(data: Float32Array, precision: ActivationPrecision): Float32Array {
  if (precision === 'f32') return data;
  return data.map((v) => f16Value(f16Bits(v)));
}

/** A storage buffer holding `data` in the activation precision. */
export function uploadActivation(gpu: Gpu, data: Float32Array, precision: ActivationPrecision, label: string): TrackedBuffer {
  if (precision === 'f32') return gpu.upload(data, { label });
  const bits = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) bits[i] = f16Bits(data[i]);
  return gpu.upload(bits, { label });
}

export async function readActivation(gpu: Gpu, buffer: TrackedBuffer, count: number, precision: ActivationPrecision): Promise<Float32Array> {
  if (precision === 'f32') return gpu.readF32(buffer, count);
  const bits = new Uint16Array(await gpu.read(buffer, count * 2));
  return Float32Array.from(bits, f16Value);
}

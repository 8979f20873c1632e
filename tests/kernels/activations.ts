import type { Gpu } from '../../src/gpu/gpu';
import type { TrackedBuffer } from '../../src/gpu/allocator';
import type { ActivationPrecision } from '../../src/gpu/shaderLibrary';
import { f16ToF32, f32ToF16 } from '../../src/formats/quant/f16';

/** The activation precisions this adapter can run: f32 always, f16 where `shader-f16` is offered. */
export function activationPrecisions(gpu: Gpu): ActivationPrecision[] {
  return gpu.features.f16 ? ['f32', 'f16'] : ['f32'];
}

/** `data` as the kernel will see it after storage in `precision` (identity for f32). */
export function roundToActivation(data: Float32Array, precision: ActivationPrecision): Float32Array {
  if (precision === 'f32') return data;
  return data.map((v) => f16ToF32(f32ToF16(v)));
}

/** A storage buffer holding `data` in the activation precision. */
export function uploadActivation(gpu: Gpu, data: Float32Array, precision: ActivationPrecision, label: string): TrackedBuffer {
  if (precision === 'f32') return gpu.upload(data, { label });
  return gpu.upload(Uint16Array.from(data, f32ToF16), { label });
}

export async function readActivation(
  gpu: Gpu,
  buffer: TrackedBuffer,
  count: number,
  precision: ActivationPrecision,
): Promise<Float32Array> {
  if (precision === 'f32') return gpu.readF32(buffer, count);
  const bits = new Uint16Array(await gpu.read(buffer, count * 2));
  return Float32Array.from(bits, f16ToF32);
}

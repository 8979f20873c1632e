import type { Gpu } from '../../src/gpu/gpu';
import type { TrackedBuffer } from '../../src/gpu/allocator';
import type { StoredPrecision } from '../../src/kernels/storedValues';
import { packF16PairsReference } from '../../src/kernels/reference/storedValues';

/** A buffer holding `values` stored in `storage` (f16 pairs: the words shaders/stored_values.wgsl reads). */
export function uploadStored(gpu: Gpu, values: Float32Array, storage: StoredPrecision, label: string): TrackedBuffer {
  return gpu.upload(storage === 'f32' ? values : packF16PairsReference(values), { label });
}

import { LabError } from '../errors';
import { webGpuMissingError } from './messages';

/** Optional features the engine uses when the adapter offers them. */
export interface GpuFeatures {
  subgroups: boolean;
  /** `timestamp-query`: per-kernel GPU timings. */
  timestamps: boolean;
}

export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface AcquiredDevice {
  adapter: GPUAdapter;
  device: GPUDevice;
  info: GpuAdapterInfo;
  features: GpuFeatures;
}

// The limits that bound model size and kernel shape; we ask for the adapter's maximum of each.
const LIMITS_TO_MAXIMISE = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxBindGroups',
] as const;

const OPTIONAL_FEATURES: GPUFeatureName[] = ['subgroups', 'timestamp-query'];

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
}

/** The adapter the system offers for the power preference, or null where it offers none. */
export function requestGpuAdapter(gpu: GPU, options: AcquireOptions = {}): Promise<GPUAdapter | null> {
  return gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
}

/** In the browser: finds an adapter and opens a device (`openDevice`), or says what to check in Chrome. */
export async function acquireDevice(gpu: GPU | undefined, options: AcquireOptions = {}): Promise<AcquiredDevice> {
  if (!gpu) {
    throw webGpuMissingError();
  }
  const adapter = await requestGpuAdapter(gpu, options);
  if (!adapter) {
    throw new LabError(
      'No WebGPU adapter was found.',
      'navigator.gpu.requestAdapter',
      'Your GPU or driver may be blocked for WebGPU: check chrome://gpu, update the driver, or try chrome://flags/#enable-unsafe-webgpu.',
    );
  }
  return openDevice(adapter);
}

/** Opens a device on `adapter` with the largest limits and the optional features it has. */
export async function openDevice(adapter: GPUAdapter): Promise<AcquiredDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS_TO_MAXIMISE) {
    const value = adapter.limits[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'lora-lab' });
  } catch (cause) {
    throw new LabError(`The GPU refused to open a device: ${String(cause)}`, 'GPUAdapter.requestDevice');
  }
  const raw = adapter.info;
  return {
    adapter,
    device,
    info: {
      vendor: raw?.vendor ?? '',
      architecture: raw?.architecture ?? '',
      device: raw?.device ?? '',
      description: raw?.description ?? '',
      isFallbackAdapter: Boolean((raw as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter),
    },
    features: {
      subgroups: device.features.has('subgroups'),
      timestamps: device.features.has('timestamp-query'),
    },
  };
}

/** One line naming the adapter, for logs and the page header. */
export function describeGpuAdapter(info: GpuAdapterInfo): string {
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ') || 'unknown adapter';
  return info.isFallbackAdapter ? `${name} (software fallback)` : name;
}

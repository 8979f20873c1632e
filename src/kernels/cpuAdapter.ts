import type { GpuAdapterInfo } from '../gpu/acquire';

/**
 * Whether the adapter runs shaders on CPU cores (SwiftShader, Mesa's llvmpipe/lavapipe, Microsoft's WARP): each
 * workgroup is a task on one core and its invocations are SIMD lanes, so every barrier is a switch between
 * invocations and a workgroup wider than a few SIMD groups buys nothing. Kernels that split a dot product over
 * threads use few threads there and GPU-sized workgroups elsewhere.
 */
export function isCpuAdapter(info: GpuAdapterInfo): boolean {
  if (info.isFallbackAdapter) return true;
  const name = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  return /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i.test(name);
}

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gpu } from './gpu';
import type { AcquireOptions } from './acquire';
import { nodeShaderLibrary } from './nodeShaderLibrary';

/** SwiftShader's Vulkan driver as Debian's chromium package ships it: a real WebGPU device without a GPU. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let dawn: GPU | undefined;

/**
 * WebGPU in Node through Dawn (npm `webgpu`). Set VK_ICD_FILENAMES to choose the Vulkan driver;
 * `useSoftwareFallback` picks SwiftShader when nothing else is chosen.
 */
export async function nodeGpuApi(options: { useSoftwareFallback?: boolean } = {}): Promise<GPU> {
  if (dawn) return dawn;
  if (options.useSoftwareFallback && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  // Dawn's Vulkan loader looks for a runtime directory (for window systems we never use) and complains without one.
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'lora-lab-xdg-'));
  const webgpu = await import('webgpu');
  Object.assign(globalThis, webgpu.globals);
  dawn = webgpu.create([]) as GPU;
  return dawn;
}

export async function createNodeGpu(options: AcquireOptions & { useSoftwareFallback?: boolean } = {}): Promise<Gpu> {
  return Gpu.create(await nodeGpuApi(options), nodeShaderLibrary(), options);
}

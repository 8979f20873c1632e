import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gpu } from './gpu';
import { requestGpuAdapter, type AcquireOptions } from './acquire';
import { nodeShaderLibrary } from './nodeShaderLibrary';
import { LabError } from '../errors';

/** SwiftShader's Vulkan driver as Debian's chromium package ships it: a real WebGPU device without a GPU. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Where the software fallback looks for SwiftShader: LORA_LAB_SWIFTSHADER_ICD, or Debian's chromium. */
function swiftShaderIcd(): string {
  return process.env.LORA_LAB_SWIFTSHADER_ICD || SWIFTSHADER_ICD;
}

export interface NodeGpuOptions extends AcquireOptions {
  /** Go straight to SwiftShader (the CLI's `--software`) unless VK_ICD_FILENAMES names a driver. */
  useSoftwareFallback?: boolean;
  /** Told when the system's drivers gave no adapter and SwiftShader was taken instead; stderr by default. */
  notice?: (line: string) => void;
}

/** The Dawn instance that gave an adapter, reused for every later device. */
let dawn: GPU | undefined;

/** A new Dawn instance (npm `webgpu`): it reads VK_ICD_FILENAMES now, when it is created, and never again. */
async function createDawn(): Promise<GPU> {
  // Dawn's Vulkan loader looks for a runtime directory (for window systems we never use) and complains without one.
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'lora-lab-xdg-'));
  const webgpu = await import('webgpu');
  Object.assign(globalThis, webgpu.globals);
  return webgpu.create([]) as GPU;
}

/**
 * An adapter from the Vulkan drivers VK_ICD_FILENAMES names (or the system's), else from SwiftShader. A machine
 * without a GPU driver, or with only one Dawn rejects (Mesa's lavapipe lacks features Dawn requires), gives no
 * adapter; since Dawn reads VK_ICD_FILENAMES only when an instance is created, the fallback is a second instance
 * created with it pointing at SwiftShader.
 */
async function nodeGpuAdapter(options: NodeGpuOptions): Promise<GPUAdapter> {
  if (dawn) {
    const adapter = await requestGpuAdapter(dawn, options);
    if (adapter) return adapter;
  }
  const chosen = process.env.VK_ICD_FILENAMES;
  const swiftShader = swiftShaderIcd();
  const softwareOnly = options.useSoftwareFallback === true && !chosen;
  if (!softwareOnly) {
    const instance = await createDawn();
    const adapter = await requestGpuAdapter(instance, options);
    if (adapter) {
      dawn = instance;
      return adapter;
    }
  }
  if (chosen !== swiftShader && existsSync(swiftShader)) {
    process.env.VK_ICD_FILENAMES = swiftShader;
    const instance = await createDawn();
    const adapter = await requestGpuAdapter(instance, options);
    if (adapter) {
      dawn = instance;
      if (!softwareOnly) {
        const notice = options.notice ?? ((line: string) => process.stderr.write(line + '\n'));
        notice(
          `lora-lab: no WebGPU adapter from ${chosen ? `VK_ICD_FILENAMES=${chosen}` : "the system's Vulkan drivers"}; ` +
            `running on SwiftShader (${swiftShader}), a software renderer on the CPU: expect it to be slow (--software picks it directly).`,
        );
      }
      return adapter;
    }
    if (chosen === undefined) delete process.env.VK_ICD_FILENAMES;
    else process.env.VK_ICD_FILENAMES = chosen;
  }
  const tried = [
    softwareOnly ? undefined : chosen ? `VK_ICD_FILENAMES=${chosen}` : "the system's Vulkan drivers",
    chosen !== swiftShader && existsSync(swiftShader) ? `SwiftShader (${swiftShader})` : undefined,
  ].filter(Boolean);
  const missing = existsSync(swiftShader) ? '' : `SwiftShader is not installed at ${swiftShader}`;
  throw new LabError(
    [
      'no WebGPU adapter',
      tried.length > 0 ? ` from ${tried.join(' or ')}` : '',
      missing && tried.length > 0 ? '; ' : missing && ': ',
      missing,
    ].join(''),
    'Dawn (npm webgpu)',
    "Install the Vulkan loader (libvulkan1) and your GPU's Vulkan driver (`vulkaninfo --summary` lists the GPUs Vulkan " +
      "sees), or run on the CPU with SwiftShader: install Debian's chromium package, which ships it at " +
      `${SWIFTSHADER_ICD}, or set LORA_LAB_SWIFTSHADER_ICD to a vk_swiftshader_icd.json.`,
  );
}

/** A Gpu in Node on Dawn's WebGPU, on the machine's Vulkan driver or, failing that, SwiftShader. */
export async function createNodeGpu(options: NodeGpuOptions = {}): Promise<Gpu> {
  return Gpu.open(await nodeGpuAdapter(options), nodeShaderLibrary(), options);
}

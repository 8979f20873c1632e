import { createNodeGpu } from '../../src/gpu/node';
import { describeGpuAdapter } from '../../src/gpu/acquire';

/**
 * Runs once per `vitest run`: opens the WebGPU device the GPU tests will use and prints it, so the log shows
 * which adapter executed them. No adapter is a failure of the whole run, never a skip.
 */
export default async function setup(): Promise<void> {
  const gpu = await createNodeGpu({ useSoftwareFallback: true });
  const features = [...gpu.device.features].filter((f) => ['subgroups', 'timestamp-query'].includes(f));
  console.log(`[lora-lab] WebGPU adapter: ${describeGpuAdapter(gpu.info)}; features: ${features.join(', ') || 'none'}`);
  gpu.destroy();
}

import { createNodeGpu } from '../../src/gpu/node';
import type { Gpu } from '../../src/gpu/gpu';

let shared: Promise<Gpu> | undefined;

/** The test file's WebGPU device (Dawn; SwiftShader where no GPU is set). Throws when there is no adapter. */
export function testGpu(): Promise<Gpu> {
  shared ??= createNodeGpu({ useSoftwareFallback: true });
  return shared;
}

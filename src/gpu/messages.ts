import { LabError } from '../errors';

/** Shown when the browser has no WebGPU at all: checked by the page before it starts the engine, and by the engine. */
export function webGpuMissingError(): LabError {
  return new LabError(
    'WebGPU is not available in this browser.',
    'navigator.gpu',
    'Use a recent Chrome or Edge (version 113 or later) on a machine with a GPU, and make sure hardware acceleration is on (chrome://settings/system).',
  );
}

import type { Model } from '../src/model/model';
import { DECODE_STEPS_IN_FLIGHT } from '../src/model/decodePipeline';

/**
 * Seconds to decode exactly `steps` greedy tokens after a prefill (`Model.forwardSample`), each step's input the
 * token the last one sampled and DECODE_STEPS_IN_FLIGHT steps queued, as generate queues them
 * (src/model/decodePipeline.ts). An end-of-text token does not stop it, so every model and peer decodes as many.
 */
export async function timeDecodeSteps(model: Model, steps: number): Promise<number> {
  const greedy = { temperature: 0 };
  const start = performance.now();
  const queued: Promise<number>[] = [];
  for (let i = 0; i < steps; i++) {
    queued.push(model.decodeSampled(greedy, 0));
    if (queued.length === DECODE_STEPS_IN_FLIGHT) await queued.shift();
  }
  await Promise.all(queued);
  await model.gpu.sync();
  return (performance.now() - start) / 1000;
}

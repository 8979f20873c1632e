import type { Model, StepDispatches } from '../src/model/model';
import { DECODE_STEPS_IN_FLIGHT } from '../src/model/decodePipeline';

/** One prefill and the decode after it: tokens/s of each and the dispatches of one step of each. */
export interface ModelTiming {
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  prefillDispatches?: StepDispatches;
  decodeDispatches?: StepDispatches;
}

const GREEDY = { temperature: 0 };

/**
 * Times a prefill of `prompt` and then exactly `decodeTokens` greedy decode steps on a fresh context, after a warm-up
 * that compiles every pipeline both use. Decode samples on the GPU and reads back only the id, each step's input the
 * token the last one sampled and DECODE_STEPS_IN_FLIGHT steps queued, as generate queues them
 * (src/model/decodePipeline.ts); an end-of-text token does not stop it, so every model and peer decodes as many.
 */
export async function timePrefillAndDecode(model: Model, prompt: readonly number[], decodeTokens: number): Promise<ModelTiming> {
  await model.forwardSample(prompt, GREEDY, 0);
  await model.forwardSample([1], GREEDY, 0);
  model.reset();
  const prefillStart = performance.now();
  await model.forwardSample(prompt, GREEDY, 0);
  const prefillSeconds = (performance.now() - prefillStart) / 1000;
  const prefillDispatches = model.stepDispatches;
  const decodeStart = performance.now();
  const queued: Promise<number>[] = [];
  for (let i = 0; i < decodeTokens; i++) {
    queued.push(model.decodeSampled(GREEDY, 0));
    if (queued.length === DECODE_STEPS_IN_FLIGHT) await queued.shift();
  }
  await Promise.all(queued);
  await model.gpu.sync();
  const decodeSeconds = (performance.now() - decodeStart) / 1000;
  return {
    prefillTokensPerSecond: prompt.length / prefillSeconds,
    decodeTokensPerSecond: decodeTokens / decodeSeconds,
    prefillDispatches,
    decodeDispatches: model.stepDispatches,
  };
}

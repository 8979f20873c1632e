import type { GenerateOptions, SequenceGeneration } from './generate';
import type { Model } from './model';

/**
 * Decode steps queued on the GPU at once. Reading a token back costs a round trip that, for a small model, takes
 * longer than the step itself; with steps queued behind it the GPU keeps working meanwhile. A few suffice to keep it
 * busy, and each one more is one more step wasted (and rolled back) when the text ends.
 */
export const DECODE_STEPS_IN_FLIGHT = 3;

/**
 * Decodes after the prefill until `sequence` is done, queueing steps ahead of the tokens it has accepted: each
 * step's input is the previous step's sampled id, copied on the GPU (Model.decodeSampled). The CPU still accepts
 * the tokens one by one, in order, so the tokens, their draws, the stop reason and `model.position` at the end are
 * those of one step at a time: no step is queued past the token budget or the context, and the positions of steps
 * queued past the end of the text (end of generation, stop string, cancel) are rolled back.
 */
export async function decodePipelined(model: Model, sequence: SequenceGeneration, options: GenerateOptions): Promise<void> {
  const maxCtx = model.cache.maxCtx;
  const queued: Promise<number>[] = [];
  // Positions of the accepted text: the last accepted token is the next step's input, not in the cache yet.
  let position = model.position;
  try {
    while (sequence.wantsStep(position, 1, maxCtx)) {
      if (options.signal?.aborted) throw options.signal.reason;
      // Each queued step may yield one more token and takes one more position.
      while (queued.length < DECODE_STEPS_IN_FLIGHT && sequence.mayQueueStep(queued.length, model.position, maxCtx)) {
        const step = model.decodeSampled(options, sequence.random());
        // Awaited in order below: a later step's failure must not count as unhandled meanwhile.
        step.catch(() => undefined);
        queued.push(step);
      }
      sequence.accept(await queued.shift()!);
      position++;
    }
  } finally {
    // Steps queued past the end still hold their readbacks: let them finish, then forget their positions.
    await Promise.allSettled(queued);
    model.rewind(position);
    // The readbacks did not sync; a GPU error is the cause of whatever failed, so it replaces a pending error.
    await model.gpu.sync();
  }
}

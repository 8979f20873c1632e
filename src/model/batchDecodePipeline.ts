import type { SamplingOptions } from '../kernels/sampling';
import type { BatchDecoder } from './batchDecode';
import { DECODE_STEPS_IN_FLIGHT } from './decodePipeline';
import type { SequenceGeneration } from './generate';

/** A live sequence of a batch: its slot, its generation, and the token it runs next. */
export interface StableRow {
  slot: number;
  sequence: SequenceGeneration;
  token: number;
}

/**
 * Decodes `rows` together until a step ends one or more of their sequences, queueing up to DECODE_STEPS_IN_FLIGHT
 * steps ahead of the tokens accepted, as decodePipeline.ts does for one sequence: the first step runs the rows'
 * tokens, each later one the ids the step before it sampled, copied on the GPU, with the same rows in the same
 * slots. `accept(row, id, position)` takes each row's token in order, with its slot's cache length once that token's
 * step is counted, and says whether the sequence goes on. Each sequence draws once per step, in step order, so its
 * draws are those of one step at a time; no step is queued past a row's token budget or the `maxCtx`-position
 * context. Once a sequence ends, the steps already queued run out (the others accept theirs) and every slot forgets
 * the positions of steps past its accepted tokens. Returns the slots whose sequences ended.
 */
export async function decodeWhileStable(
  decoder: BatchDecoder,
  rows: readonly StableRow[],
  options: SamplingOptions & { signal?: AbortSignal },
  maxCtx: number,
  accept: (row: StableRow, id: number, position: number) => boolean,
): Promise<number[]> {
  const queued: Promise<number[]>[] = [];
  // Each slot's length with the accepted tokens' steps only.
  const positions = rows.map((row) => decoder.cache.lengths[row.slot]);
  const ended = new Set<StableRow>();
  let first = true;
  try {
    do {
      if (options.signal?.aborted) throw options.signal.reason;
      while (
        ended.size === 0 &&
        queued.length < DECODE_STEPS_IN_FLIGHT &&
        rows.every((row) => row.sequence.mayQueueStep(queued.length, decoder.cache.lengths[row.slot], maxCtx))
      ) {
        const step = decoder.queueStep(
          rows.map((row) => ({ slot: row.slot, token: first ? row.token : undefined, u: row.sequence.random() })),
          options,
        );
        first = false;
        // Awaited in order below: a later step's failure must not count as unhandled meanwhile.
        step.catch(() => undefined);
        queued.push(step);
      }
      const sampled = await queued.shift()!;
      for (const [k, row] of rows.entries()) {
        if (ended.has(row)) continue;
        positions[k]++;
        if (!accept(row, sampled[k], positions[k])) ended.add(row);
      }
    } while (queued.length > 0 || ended.size === 0);
  } finally {
    // Steps queued past an end still hold their readbacks: let them finish, then forget their positions.
    await Promise.allSettled(queued);
    for (const [k, row] of rows.entries()) decoder.rewind(row.slot, positions[k]);
    // The readbacks did not sync; a GPU error is the cause of whatever failed, so it replaces a pending error.
    await decoder.sync();
  }
  return rows.filter((row) => ended.has(row)).map((row) => row.slot);
}

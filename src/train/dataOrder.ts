import { seededShuffle } from '../data/sampling';

/**
 * Which packed rows micro-batch g (counted from 0 over the whole run) trains on. Each epoch visits every row once
 * in its own seeded order (seed and epoch number), cut into micro-batches of `batch` rows (the epoch's last may be
 * smaller). It depends on nothing but (seed, g), so a resumed run needs only the step count to continue exactly.
 */
export function microBatchRows(rowCount: number, batch: number, seed: number, g: number): number[] {
  const perEpoch = Math.ceil(rowCount / batch);
  const epoch = Math.floor(g / perEpoch);
  const within = g % perEpoch;
  const order = seededShuffle(
    Array.from({ length: rowCount }, (_, i) => i),
    (Math.imul(seed, 0x9e3779b1) ^ epoch) >>> 0,
  );
  return order.slice(within * batch, within * batch + batch);
}

export function epochOf(rowCount: number, batch: number, g: number): number {
  return g / Math.ceil(rowCount / batch);
}

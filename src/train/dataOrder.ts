import { LabError } from '../errors';
import { seededShuffle } from '../data/sampling';

/** Micro-batches of `batch` rows that visit `rowCount` rows once (the last may be smaller): one epoch. */
export function microBatchesPerEpoch(rowCount: number, batch: number): number {
  return Math.ceil(rowCount / batch);
}

/**
 * Optimizer steps that train `epochs` epochs of every stage (the whole training split when there is no curriculum:
 * one stage of all rows): enough micro-batches for the epochs, rounded up to whole steps of `accumulation`. With
 * stages, planStages shares these steps by each stage's micro-batches per epoch, so each stage gets ~`epochs`.
 */
export function stepsForEpochs(epochs: number, stageRows: readonly number[], batch: number, accumulation: number): number {
  const perEpoch = stageRows.reduce((sum, rows) => sum + microBatchesPerEpoch(rows, batch), 0);
  // Less a hair: 0.1 × 30 is 3.0000000000000004 in floating point, which is 3 micro-batches, not 4.
  const microBatches = Math.ceil(epochs * perEpoch - 1e-9);
  return Math.max(1, Math.ceil(microBatches / accumulation));
}

/**
 * Which packed rows micro-batch g (counted from 0 over the whole run) trains on. Each epoch visits every row once
 * in its own seeded order (seed and epoch number), cut into micro-batches of `batch` rows (the epoch's last may be
 * smaller). It depends on nothing but (seed, g), so a resumed run needs only the step count to continue exactly.
 */
export function microBatchRows(rowCount: number, batch: number, seed: number, g: number): number[] {
  const perEpoch = microBatchesPerEpoch(rowCount, batch);
  const epoch = Math.floor(g / perEpoch);
  const within = g % perEpoch;
  const order = seededShuffle(
    Array.from({ length: rowCount }, (_, i) => i),
    (Math.imul(seed, 0x9e3779b1) ^ epoch) >>> 0,
  );
  return order.slice(within * batch, within * batch + batch);
}

export function epochOf(rowCount: number, batch: number, g: number): number {
  return g / microBatchesPerEpoch(rowCount, batch);
}

/** A curriculum stage's rows (back to back in the training rows, stages in order) and the optimizer steps it owns. */
export interface StagePlan {
  name: string;
  firstRow: number;
  rows: number;
  /** Steps [firstStep, firstStep + steps) train on this stage only. */
  firstStep: number;
  steps: number;
}

/**
 * Splits a run's steps between curriculum stages, which then train one after the other: each stage gets a share
 * proportional to its micro-batches per epoch (largest remainders, at least one step each), so a run of N epochs'
 * worth of steps trains N epochs of every stage — all of stage 1, then all of stage 2, as Skywork-Math does.
 */
export function planStages(stages: readonly { name: string; rows: number }[], steps: number, batch: number): StagePlan[] {
  const where = 'curriculum';
  if (stages.length === 0) throw new LabError('has no stages with training rows', where, 'Check the stage rule against the data.');
  const empty = stages.find((s) => !(s.rows > 0));
  if (empty) throw new LabError(`stage "${empty.name}" has no training rows`, where, 'Leave it out of the stages, or add examples to it.');
  if (steps < stages.length)
    throw new LabError(`${steps} steps cannot give each of ${stages.length} stages one`, where, `Train at least ${stages.length} steps.`);
  const weights = stages.map((s) => microBatchesPerEpoch(s.rows, batch));
  const total = weights.reduce((a, b) => a + b, 0);
  // Every stage first gets one step, the rest is shared in proportion (largest remainder, ties to the earlier stage).
  const spare = steps - stages.length;
  const exact = weights.map((w) => (spare * w) / total);
  const shares = exact.map((x) => 1 + Math.floor(x));
  let left = steps - shares.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    shares[i]++;
    left--;
  }
  let firstRow = 0;
  let firstStep = 0;
  return stages.map((s, i) => {
    const plan = { name: s.name, firstRow, rows: s.rows, firstStep, steps: shares[i] };
    firstRow += s.rows;
    firstStep += shares[i];
    return plan;
  });
}

/** What one micro-batch trains on: row indices, its curriculum stage (if any) and epochs done within it. */
export interface MicroBatchPick {
  rows: number[];
  stage?: string;
  /** Epochs of the stage (of all rows, without a curriculum) completed once this micro-batch is done. */
  epoch: number;
}

/**
 * The rows of micro-batch k (of `accumulation`) of optimizer step `step` (from 0). Without stages every epoch
 * shuffles all rows; with stages, step s trains on the stage whose steps contain it, its rows shuffled within the
 * stage per epoch of that stage with a seed of its own. A pure function of (seed, step, k), so resuming is exact.
 */
export function pickMicroBatch(
  order: { rows: number; batch: number; accumulation: number; seed: number; stages?: readonly StagePlan[] },
  step: number,
  k: number,
): MicroBatchPick {
  if (!order.stages) {
    const g = step * order.accumulation + k;
    return { rows: microBatchRows(order.rows, order.batch, order.seed, g), epoch: epochOf(order.rows, order.batch, g + 1) };
  }
  // Steps past the plan (none in a run) stay in the last stage.
  const found = order.stages.findIndex((s) => step < s.firstStep + s.steps);
  const stageIndex = found === -1 ? order.stages.length - 1 : found;
  const stage = order.stages[stageIndex];
  const g = (step - stage.firstStep) * order.accumulation + k;
  const seed = (order.seed ^ Math.imul(stageIndex + 1, 0x85ebca6b)) >>> 0;
  return {
    rows: microBatchRows(stage.rows, order.batch, seed, g).map((i) => stage.firstRow + i),
    stage: stage.name,
    epoch: epochOf(stage.rows, order.batch, g + 1),
  };
}

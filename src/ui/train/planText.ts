import type { TrainingPlan } from '../../worker/api';

/** A count of epochs to three significant digits (2, 0.5, 0.0108), whole from 100 up (1235, not 1.23e+3). */
export function formatEpochs(epochs: number): string {
  return epochs >= 100 ? String(Math.round(epochs)) : String(Number(epochs.toPrecision(3)));
}

/** The Train panel's line about a new run's plan, shown from before its first step. */
export function describePlan(plan: TrainingPlan): string {
  const rows = `${plan.trainRows} training row${plan.trainRows === 1 ? '' : 's'}`;
  const steps = `${plan.steps} step${plan.steps === 1 ? '' : 's'}`;
  return `planned ${steps}: ${formatEpochs(plan.epochs)} epochs of ${rows} (${plan.microBatchesPerEpoch} micro-batches per epoch)`;
}

import { LabError } from '../errors';

export type DecayKind = 'cosine' | 'linear' | 'constant';

export interface LrSchedule {
  /** Peak learning rate, reached at the end of warmup. */
  lr: number;
  /** Steps of linear warmup from lr/warmupSteps to lr. */
  warmupSteps: number;
  /** Total optimizer steps; the decay ends at the last one. */
  totalSteps: number;
  decay: DecayKind;
  /** Floor of the decay as a fraction of lr (0: decay to 0). */
  minLrRatio?: number;
}

export function checkSchedule(s: LrSchedule): void {
  const where = 'learning-rate schedule';
  if (!(s.lr > 0) || !Number.isFinite(s.lr))
    throw new LabError(`learning rate ${s.lr} must be a positive number`, where, 'LoRA usually trains with 1e-4 to 3e-4.');
  if (!Number.isInteger(s.totalSteps) || s.totalSteps < 1) throw new LabError(`steps ${s.totalSteps} must be a positive integer`, where);
  if (!Number.isInteger(s.warmupSteps) || s.warmupSteps < 0 || s.warmupSteps > s.totalSteps) {
    throw new LabError(`warmup of ${s.warmupSteps} steps must be an integer from 0 to the ${s.totalSteps} total steps`, where);
  }
  const floor = s.minLrRatio ?? 0;
  if (!(floor >= 0 && floor <= 1)) throw new LabError(`minimum lr ratio ${floor} must be in [0, 1]`, where);
}

/**
 * The learning rate of optimizer step `step` (1-based, as AdamW counts): linear warmup over the first
 * warmupSteps (step/warmupSteps · lr), then cosine or linear decay from lr at the end of warmup to
 * minLrRatio·lr at the last step (the shape of transformers' get_cosine_schedule_with_warmup / linear).
 */
export function learningRate(s: LrSchedule, step: number): number {
  if (step <= s.warmupSteps) return (s.lr * step) / s.warmupSteps;
  const floor = (s.minLrRatio ?? 0) * s.lr;
  const span = s.totalSteps - s.warmupSteps;
  const progress = span === 0 ? 1 : Math.min(1, (step - s.warmupSteps) / span);
  switch (s.decay) {
    case 'constant':
      return s.lr;
    case 'linear':
      return floor + (s.lr - floor) * (1 - progress);
    case 'cosine':
      return floor + (s.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
  }
}

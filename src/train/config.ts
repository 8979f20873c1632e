import { LabError } from '../errors';
import { checkLoraConfig, DEFAULT_LORA, type LoraConfig } from '../model/lora/lora';
import { checkSchedule, type DecayKind } from './schedule';
import { checkStageRule, type StageRule } from '../data/curriculum';
import { checkStoredPrecision, type StoredPrecision } from '../kernels/storedValues';

/**
 * A curriculum: `rule` puts each example in a stage, and the stages train one after the other in `stages` order
 * (stages the rule yields but the list omits come last), e.g. Skywork-Math's ['normal', 'hard'] with MATH
 * level ≥ 4 as hard. The run's steps are split between stages by their size (see planStages).
 */
export interface CurriculumConfig {
  stages: string[];
  rule: StageRule;
}

/** Everything that defines a training run; the UI and `lora-lab train` fill the same object. */
export interface TrainConfig {
  lora: LoraConfig;
  /** Optimizer steps. */
  steps: number;
  lr: number;
  warmupSteps: number;
  decay: DecayKind;
  minLrRatio: number;
  /** Packed rows per micro-batch, and tokens per row. */
  batch: number;
  seqLen: number;
  /** Micro-batches whose gradients are summed before each optimizer step. */
  accumulation: number;
  /** Clip the global gradient norm to this (0: no clipping). */
  maxGradNorm: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  adamEps: number;
  /** Seeds the data order (the adapter's initialisation has its own seed in `lora`). */
  seed: number;
  /** Evaluate the held-out loss every N steps (0: never; always at the end when there is a held-out split). */
  evalEvery: number;
  /** Micro-batches of the held-out split per evaluation (0: all of it). */
  evalBatches: number;
  /** Save a checkpoint every N steps (0: only when stopped or paused). */
  checkpointEvery: number;
  /** Rows of logits materialised at once (a multiple of 64). */
  lossChunkRows: number;
  /** How layer checkpoints, gate and up are kept for the backward pass (absent: f16 pairs; 'f32' is exact). */
  savedPrecision?: StoredPrecision;
  /** Train stage by stage (absent: all examples shuffled together every epoch). */
  curriculum?: CurriculumConfig;
}

export function defaultTrainConfig(overrides: Partial<TrainConfig> & { seed: number }): TrainConfig {
  return {
    lora: { ...DEFAULT_LORA, seed: overrides.seed },
    steps: 100,
    lr: 2e-4,
    warmupSteps: 0,
    decay: 'cosine',
    minLrRatio: 0,
    batch: 1,
    seqLen: 512,
    accumulation: 1,
    maxGradNorm: 1,
    weightDecay: 0,
    beta1: 0.9,
    beta2: 0.999,
    adamEps: 1e-8,
    evalEvery: 0,
    evalBatches: 0,
    checkpointEvery: 0,
    lossChunkRows: 256,
    ...overrides,
  };
}

/** Refuses a config that cannot run, naming the field. */
export function checkTrainConfig(c: TrainConfig): void {
  const where = 'training config';
  checkLoraConfig(c.lora);
  checkSchedule({ lr: c.lr, warmupSteps: c.warmupSteps, totalSteps: c.steps, decay: c.decay, minLrRatio: c.minLrRatio });
  const positive: [string, number][] = [
    ['batch', c.batch],
    ['seqLen', c.seqLen],
    ['accumulation', c.accumulation],
  ];
  for (const [name, value] of positive) {
    if (!Number.isInteger(value) || value < 1) throw new LabError(`${name} ${value} must be a positive integer`, where);
  }
  const nonNegative: [string, number][] = [
    ['evalEvery', c.evalEvery],
    ['evalBatches', c.evalBatches],
    ['checkpointEvery', c.checkpointEvery],
  ];
  for (const [name, value] of nonNegative) {
    if (!Number.isInteger(value) || value < 0) throw new LabError(`${name} ${value} must be a non-negative integer`, where);
  }
  if (!(c.maxGradNorm >= 0)) throw new LabError(`maxGradNorm ${c.maxGradNorm} must be ≥ 0`, where);
  if (!(c.weightDecay >= 0)) throw new LabError(`weightDecay ${c.weightDecay} must be ≥ 0`, where);
  if (!(c.beta1 >= 0 && c.beta1 < 1 && c.beta2 >= 0 && c.beta2 < 1))
    throw new LabError(`betas ${c.beta1}, ${c.beta2} must be in [0, 1)`, where);
  if (!(c.adamEps > 0)) throw new LabError(`adamEps ${c.adamEps} must be positive`, where);
  if (!Number.isInteger(c.lossChunkRows) || c.lossChunkRows < 64 || c.lossChunkRows % 64 !== 0) {
    throw new LabError(`lossChunkRows ${c.lossChunkRows} must be a positive multiple of 64`, where);
  }
  if (c.savedPrecision !== undefined) checkStoredPrecision(c.savedPrecision, `${where}: savedPrecision`);
  if (c.curriculum) {
    const { stages, rule } = c.curriculum;
    if (stages.length === 0 || stages.some((s) => s.trim() === ''))
      throw new LabError('curriculum stages must be non-empty names', where, 'E.g. normal,hard.');
    if (new Set(stages).size !== stages.length) throw new LabError(`curriculum stage listed twice in ${stages.join(', ')}`, where);
    checkStageRule(rule);
  }
}

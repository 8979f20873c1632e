import { LabError } from '../errors';
import { PROJECTIONS, type Projection } from '../model/tensorNames';
import { defaultTrainConfig, type CurriculumConfig, type TrainConfig } from '../train/config';
import { microBatchesPerEpoch, stepsForEpochs } from '../train/dataOrder';
import type { DecayKind } from '../train/schedule';

/** What the Train form sends; everything else takes the trainer's defaults. */
export interface TrainRequest {
  name: string;
  rank: number;
  alpha: number;
  lr: number;
  /** How long to train: optimizer steps, or `epochs` (passes over the training rows; may be fractional). Exactly one. */
  steps?: number;
  /** The engine turns epochs into steps once the data is packed, and reports them in a `TrainingPlan` first. */
  epochs?: number;
  /** Learning-rate decay after warmup. Default cosine. */
  decay?: DecayKind;
  seqLen: number;
  batch: number;
  accumulation: number;
  warmupSteps: number;
  seed: number;
  targets?: Projection[];
  /** Fraction of the examples held out for the evaluation loss. Default 0.1. */
  validationFraction?: number;
  /** Save a checkpoint every N steps (and always when stopped). Default: a tenth of the steps, at least 1. */
  checkpointEvery?: number;
  /** LoRA dropout on the adapter's input while training, in [0, 1). Default 0. */
  dropout?: number;
  /** Train stage by stage (e.g. normal then hard by MATH level); absent: all examples shuffled together. */
  curriculum?: CurriculumConfig;
  /** Clip the gradient norm to this (0: no clipping). Default 1. */
  maxGradNorm?: number;
  /** Held-out loss every N steps (0: only at the end). Default: a fifth of the steps, at least 1. */
  evalEvery?: number;
}

/** What a new run will do, known once its data is packed and reported before its first step. */
export interface TrainingPlan {
  runId: string;
  /** Optimizer steps of the run (from `steps`, or worked out from `epochs`). */
  steps: number;
  /** Epochs those steps train (of each curriculum stage, when there is one). */
  epochs: number;
  trainRows: number;
  /** Micro-batches of `batch` rows in one epoch (over all stages). */
  microBatchesPerEpoch: number;
}

/** The run's config once its step count is known (`request.steps`, or `planRun` for a request in epochs). */
export function trainConfigFromRequest(request: TrainRequest, steps: number): TrainConfig {
  const config = defaultTrainConfig({
    seed: request.seed,
    steps,
    lr: request.lr,
    seqLen: request.seqLen,
    batch: request.batch,
    accumulation: request.accumulation,
    warmupSteps: request.warmupSteps,
    evalEvery: request.evalEvery ?? Math.max(1, Math.floor(steps / 5)),
    evalBatches: 2,
    checkpointEvery: request.checkpointEvery ?? Math.max(1, Math.floor(steps / 10)),
    ...(request.decay && { decay: request.decay }),
    ...(request.maxGradNorm !== undefined && { maxGradNorm: request.maxGradNorm }),
    ...(request.curriculum && { curriculum: request.curriculum }),
  });
  config.lora = {
    ...config.lora,
    rank: request.rank,
    alpha: request.alpha,
    dropout: request.dropout ?? 0,
    targets: request.targets ?? PROJECTIONS,
  };
  return config;
}

/** Refuses a request that gives both or neither of steps and epochs, or epochs that are not a positive number. */
export function checkRunLength(request: TrainRequest): void {
  const where = 'train';
  if ((request.steps === undefined) === (request.epochs === undefined)) {
    throw new LabError(
      "give the run's length as steps or as epochs, not both or neither",
      where,
      'Choose steps or epochs in the Train form.',
    );
  }
  if (request.epochs !== undefined && !(request.epochs > 0 && request.epochs <= 10_000)) {
    throw new LabError(`epochs ${request.epochs} must be a number above 0 (at most 10000)`, where, 'E.g. 1, 3, or 0.5 for half the data.');
  }
}

/** The run's plan from its packed data (training rows, and each curriculum stage's): its steps, and the epochs they train. */
export function planRun(
  runId: string,
  request: TrainRequest,
  data: { trainRows: number; stages?: readonly { rows: number }[] },
): TrainingPlan {
  const stageRows = data.stages?.map((s) => s.rows) ?? [data.trainRows];
  const perEpoch = stageRows.reduce((sum, rows) => sum + microBatchesPerEpoch(rows, request.batch), 0);
  const steps = request.steps ?? stepsForEpochs(request.epochs!, stageRows, request.batch, request.accumulation);
  return { runId, steps, epochs: (steps * request.accumulation) / perEpoch, trainRows: data.trainRows, microBatchesPerEpoch: perEpoch };
}

/**
 * A lab run's settings in the words of the Hugging Face trainers (TrainingArguments / axolotl), shared by the
 * axolotl config and the TRL script so both carry the same numbers.
 */
import { peftTargetModules } from '../../model/lora/loraPeft';
import type { TrainConfig } from '../config';

export const TRAIN_FILE = 'train.jsonl';
export const VALIDATION_FILE = 'validation.jsonl';
export const OUTPUT_DIR = 'adapter-out';

export interface ClusterSettings {
  /** Hugging Face repository (or local folder) of the unquantized base model. */
  baseModel: string;
  rank: number;
  alpha: number;
  dropout: number;
  targetModules: string[];
  learningRate: number;
  /** transformers' lr_scheduler_type, with its kwargs. */
  scheduler: 'cosine' | 'cosine_with_min_lr' | 'linear' | 'constant_with_warmup';
  minLrRatio: number;
  warmupSteps: number;
  maxSteps: number;
  microBatch: number;
  accumulation: number;
  sequenceLength: number;
  seed: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  maxGradNorm: number;
  /** Held-out loss every N steps (0: at the end only). */
  evalSteps: number;
  /** Whether there is a validation file to evaluate on. */
  hasValidation: boolean;
}

export function clusterSettings(config: TrainConfig, baseModel: string, hasValidation: boolean): ClusterSettings {
  const scheduler =
    config.decay === 'linear'
      ? 'linear'
      : config.decay === 'constant'
        ? 'constant_with_warmup'
        : config.minLrRatio > 0
          ? 'cosine_with_min_lr'
          : 'cosine';
  return {
    baseModel,
    rank: config.lora.rank,
    alpha: config.lora.alpha,
    dropout: config.lora.dropout,
    targetModules: peftTargetModules(config.lora.targets),
    learningRate: config.lr,
    scheduler,
    minLrRatio: config.minLrRatio,
    warmupSteps: config.warmupSteps,
    maxSteps: config.steps,
    microBatch: config.batch,
    accumulation: config.accumulation,
    sequenceLength: config.seqLen,
    seed: config.seed,
    weightDecay: config.weightDecay,
    beta1: config.beta1,
    beta2: config.beta2,
    epsilon: config.adamEps,
    maxGradNorm: config.maxGradNorm,
    evalSteps: config.evalEvery,
    hasValidation,
  };
}

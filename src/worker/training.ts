import type { Gpu } from '../gpu/gpu';
import { LabError } from '../errors';
import type { Example } from '../data/example';
import type { Model } from '../model/model';
import type { LoraAdapter } from '../model/lora';
import { PROJECTIONS, type Projection } from '../model/tensorNames';
import type { Tokenizer } from '../tokenizer';
import { defaultTrainConfig, type TrainConfig } from '../train/config';
import { prepareTrainingData } from '../train/prepareData';
import { Trainer, type StepMetrics } from '../train/trainer';

/** What the Train form sends; everything else takes the trainer's defaults. */
export interface TrainRequest {
  name: string;
  rank: number;
  alpha: number;
  lr: number;
  steps: number;
  seqLen: number;
  batch: number;
  accumulation: number;
  warmupSteps: number;
  seed: number;
  targets?: Projection[];
  /** Fraction of the examples held out for the evaluation loss. Default 0.1. */
  validationFraction?: number;
}

export interface AdapterSummary {
  id: string;
  name: string;
  config: TrainConfig;
  status: 'done' | 'stopped';
  steps: number;
  metrics: StepMetrics[];
  trainExamples: number;
}

/** Adapters trained in this session, kept on the GPU so generation and evaluation can switch between them. */
export class AdapterShelf {
  private readonly trained = new Map<string, { summary: AdapterSummary; adapter: LoraAdapter }>();

  async train(gpu: Gpu, model: Model, tokenizer: Tokenizer, examples: readonly Example[], request: TrainRequest, signal: AbortSignal, onMetrics?: (m: StepMetrics) => void): Promise<AdapterSummary> {
    if (examples.length === 0) throw new LabError('there is no training data', 'train', 'Add shards in the Data panel first.');
    const config = defaultTrainConfig({
      seed: request.seed,
      steps: request.steps,
      lr: request.lr,
      seqLen: request.seqLen,
      batch: request.batch,
      accumulation: request.accumulation,
      warmupSteps: request.warmupSteps,
      evalEvery: Math.max(1, Math.floor(request.steps / 5)),
      evalBatches: 2,
    });
    config.lora = { ...config.lora, rank: request.rank, alpha: request.alpha, targets: request.targets ?? PROJECTIONS };
    const data = prepareTrainingData(examples, tokenizer, { seqLen: config.seqLen, seed: config.seed, validationFraction: request.validationFraction ?? 0.1 });
    const metrics: StepMetrics[] = [];
    const trainer = Trainer.start(gpu, model, data, config, {
      onMetrics: (m) => {
        metrics.push(m);
        onMetrics?.(m);
      },
    });
    try {
      const result = await trainer.run(signal);
      const id = `${request.name}-${this.trained.size + 1}`;
      const summary: AdapterSummary = { id, name: request.name, config, status: result.status, steps: result.step, metrics, trainExamples: data.trainExamples };
      this.trained.set(id, { summary, adapter: trainer.adapter });
      return summary;
    } catch (error) {
      trainer.adapter.free();
      throw error;
    } finally {
      trainer.free();
    }
  }

  list(): AdapterSummary[] {
    return [...this.trained.values()].map((t) => t.summary);
  }

  adapter(id: string): LoraAdapter {
    const entry = this.trained.get(id);
    if (!entry) throw new LabError(`no adapter "${id}"`, 'adapters', 'Pick one from the list of trained adapters.');
    return entry.adapter;
  }
}

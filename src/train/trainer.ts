import type { Gpu } from '../gpu/gpu';
import type { TrackedBuffer } from '../gpu/allocator';
import type { PackedRow, PackedRowSource } from '../data/packing';
import { LabError } from '../errors';
import { adamw } from '../kernels/adamw';
import { gradNorm, gradNormPartialCount } from '../kernels/gradNorm';
import type { Model } from '../model/model';
import { LoraAdapter } from '../model/lora/lora';
import { TrainingGraph } from '../model/training/trainingGraph';
import { batchInputs, countTargets } from './batch';
import { checkTrainConfig, type TrainConfig } from './config';
import { pickMicroBatch, planStages, type StagePlan } from './dataOrder';
import { learningRate } from './schedule';
import { serializeCheckpoint, type CheckpointStore, type TrainingCheckpoint } from './checkpoint';

/** One line of metrics per optimizer step (metrics.jsonl uses these names). */
export interface StepMetrics {
  step: number;
  loss: number;
  lr: number;
  grad_norm: number;
  /** Tokens of the rows this step trained on (padding included: it is computed). */
  tokens: number;
  tokens_per_s: number;
  elapsed_s: number;
  eta_s: number;
  /** Epochs done (of the current curriculum stage, when there is one). */
  epoch: number;
  /** The curriculum stage this step trained on (runs with a curriculum only). */
  stage?: string;
  /** Mean held-out loss, on the steps that evaluate. */
  eval_loss?: number;
}

/** Rows by position (arrays, or a run's data file read a row at a time), checked as each batch reads them. */
export interface TrainerData {
  train: PackedRowSource;
  validation: PackedRowSource;
  /** Curriculum stages in training order, each a run of consecutive `train` rows (needed when the config has a curriculum). */
  stages?: readonly { name: string; rows: number }[];
}

export interface TrainerOptions {
  store?: CheckpointStore;
  onMetrics?: (m: StepMetrics) => void;
  /** Called after each checkpoint is saved. */
  onCheckpoint?: (step: number) => void;
}

export type RunResult = { status: 'done' | 'stopped'; step: number };

/**
 * Fine-tunes a LoRA adapter on a frozen model: per optimizer step, `accumulation` micro-batches of packed rows
 * (forward, chunked loss on response tokens, backward with recomputation), the global gradient norm and its clip
 * factor (computed and applied on the GPU), then AdamW with the scheduled learning rate. With a curriculum the
 * steps are split between stages, trained one after the other. Deterministic for a config: the data order and
 * the LoRA dropout masks derive from (seed, step, micro-batch), the kernels reduce in fixed order.
 */
export class Trainer {
  step: number;
  private elapsedSeconds: number;
  private tokensSeen: number;
  private readonly grads: TrackedBuffer;
  private readonly m: TrackedBuffer;
  private readonly v: TrackedBuffer;
  private readonly normPartials: TrackedBuffer;
  private readonly normOut: TrackedBuffer;
  private readonly graph: TrainingGraph;
  /** Each curriculum stage's rows and steps (undefined without a curriculum). */
  readonly stages: readonly StagePlan[] | undefined;

  private constructor(
    readonly gpu: Gpu,
    readonly model: Model,
    readonly data: TrainerData,
    readonly config: TrainConfig,
    readonly adapter: LoraAdapter,
    private readonly options: TrainerOptions,
    state: { step: number; elapsedSeconds: number; tokensSeen: number },
  ) {
    // checkRun has already refused a curriculum that cannot be planned, before the adapter was allocated.
    this.stages = config.curriculum && planStages(data.stages!, config.steps, config.batch);
    this.step = state.step;
    this.elapsedSeconds = state.elapsedSeconds;
    this.tokensSeen = state.tokensSeen;
    this.grads = adapter.allocateLike('lora grads', 'lora');
    this.m = adapter.allocateLike('adam m', 'optimizer');
    this.v = adapter.allocateLike('adam v', 'optimizer');
    this.normPartials = gpu.alloc(gradNormPartialCount([adapter.totalFloats]) * 4, { label: 'grad norm partials', category: 'scratch' });
    this.normOut = gpu.alloc(8, { label: 'grad norm', category: 'scratch' });
    this.graph = new TrainingGraph(gpu, model.config, model.weights, adapter, this.grads, {
      batch: config.batch,
      seqLen: config.seqLen,
      lossChunkRows: config.lossChunkRows,
      savedPrecision: config.savedPrecision,
    });
  }

  /** A fresh run: the adapter initialised from config.lora.seed, zero optimizer state. */
  static start(gpu: Gpu, model: Model, data: TrainerData, config: TrainConfig, options: TrainerOptions = {}): Trainer {
    checkRun(data, config);
    const adapter = LoraAdapter.create(gpu, model.config, config.lora);
    return new Trainer(gpu, model, data, config, adapter, options, { step: 0, elapsedSeconds: 0, tokensSeen: 0 });
  }

  /** Continues a run from its checkpoint, exactly as if it had never stopped. */
  static resume(gpu: Gpu, model: Model, data: TrainerData, checkpoint: TrainingCheckpoint, options: TrainerOptions = {}): Trainer {
    const config = checkpoint.config;
    checkRun(data, config);
    if (checkpoint.modelName !== model.config.name) {
      throw new LabError(
        `the checkpoint was trained on "${checkpoint.modelName}", this model is "${model.config.name}"`,
        'resume',
        'Load the same base model.',
      );
    }
    const adapter = LoraAdapter.fromValues(gpu, model.config, config.lora, checkpoint.params);
    const trainer = new Trainer(gpu, model, data, config, adapter, options, checkpoint);
    gpu.write(trainer.m, checkpoint.m);
    gpu.write(trainer.v, checkpoint.v);
    return trainer;
  }

  /** Trains until config.steps or until `signal` aborts (between steps); then saves a checkpoint if there is a store. */
  async run(signal?: AbortSignal): Promise<RunResult> {
    const { config } = this;
    while (this.step < config.steps) {
      if (signal?.aborted) {
        await this.saveCheckpoint();
        return { status: 'stopped', step: this.step };
      }
      const metrics = await this.trainStep();
      const atEnd = this.step === config.steps;
      if (this.data.validation.length > 0 && ((config.evalEvery > 0 && this.step % config.evalEvery === 0) || atEnd)) {
        metrics.eval_loss = await this.evaluate();
      }
      this.options.onMetrics?.(metrics);
      if (config.checkpointEvery > 0 && this.step % config.checkpointEvery === 0) await this.saveCheckpoint();
    }
    return { status: 'done', step: this.step };
  }

  /** One optimizer step over `accumulation` micro-batches. */
  async trainStep(): Promise<StepMetrics> {
    const { config, gpu, adapter } = this;
    const started = performance.now();
    const order = {
      rows: this.data.train.length,
      batch: config.batch,
      accumulation: config.accumulation,
      seed: config.seed,
      stages: this.stages,
    };
    const picks = Array.from({ length: config.accumulation }, (_, k) => pickMicroBatch(order, this.step, k));
    const batches = picks.map((pick, k) => {
      const rows = pick.rows.map((i) => this.row('training', i));
      return { rows: rows.length, inputs: batchInputs(rows, config.batch, config.seqLen), dropoutStream: [config.seed, this.step, k] };
    });
    const targets = batches.reduce((sum, b) => sum + countTargets(b.inputs), 0);
    const clear = gpu.recorder();
    clear.clear(this.grads);
    clear.submit();
    let lossSum = 0;
    for (const b of batches) {
      if (countTargets(b.inputs) === 0) continue;
      this.graph.setBatch(b.inputs);
      lossSum += (await this.graph.lossAndGradients(1 / targets, b.dropoutStream)).sum;
    }
    const step = this.step + 1;
    const lr = learningRate(
      { lr: config.lr, warmupSteps: config.warmupSteps, totalSteps: config.steps, decay: config.decay, minLrRatio: config.minLrRatio },
      step,
    );
    const rec = gpu.recorder();
    gradNorm(
      rec,
      [{ buffer: this.grads, n: adapter.totalFloats }],
      { partials: this.normPartials, out: this.normOut },
      { maxNorm: config.maxGradNorm },
    );
    adamw(
      rec,
      { param: adapter.params, grad: this.grads, m: this.m, v: this.v, clipFactor: this.normOut },
      { n: adapter.totalFloats, step, lr, beta1: config.beta1, beta2: config.beta2, eps: config.adamEps, weightDecay: config.weightDecay },
    );
    rec.submit();
    const [norm] = await gpu.readF32(this.normOut, 1);
    this.step = step;
    const seconds = (performance.now() - started) / 1000;
    const tokens = batches.reduce((sum, b) => sum + b.rows * config.seqLen, 0);
    this.elapsedSeconds += seconds;
    this.tokensSeen += tokens;
    const perStep = this.elapsedSeconds / this.step;
    return {
      step,
      loss: targets > 0 ? lossSum / targets : 0,
      lr,
      grad_norm: norm,
      tokens,
      tokens_per_s: tokens / seconds,
      elapsed_s: this.elapsedSeconds,
      eta_s: perStep * (config.steps - this.step),
      epoch: picks[picks.length - 1].epoch,
      ...(picks[0].stage === undefined ? {} : { stage: picks[0].stage }),
    };
  }

  /** Mean loss over the held-out rows (the first evalBatches micro-batches of them; all when 0). */
  async evaluate(): Promise<number> {
    const { config, data } = this;
    const total = Math.ceil(data.validation.length / config.batch);
    const count = config.evalBatches > 0 ? Math.min(config.evalBatches, total) : total;
    let sum = 0;
    let tokens = 0;
    for (let i = 0; i < count; i++) {
      const first = i * config.batch;
      const rows = Array.from({ length: Math.min(config.batch, data.validation.length - first) }, (_, k) =>
        this.row('held-out', first + k),
      );
      const inputs = batchInputs(rows, config.batch, config.seqLen);
      if (countTargets(inputs) === 0) continue;
      this.graph.setBatch(inputs);
      const loss = await this.graph.loss();
      sum += loss.sum;
      tokens += loss.count;
    }
    return tokens > 0 ? sum / tokens : NaN;
  }

  /** Row `index` of a split, refused unless it has the run's length and the model's token ids. */
  private row(split: 'training' | 'held-out', index: number): PackedRow {
    const row = (split === 'training' ? this.data.train : this.data.validation).at(index)!;
    const { seqLen } = this.config;
    if (row.tokens.length !== seqLen)
      throw new LabError(
        `row ${index} has ${row.tokens.length} tokens, the run uses rows of ${seqLen}`,
        `${split} data`,
        "Pack the data with the run's seqLen.",
      );
    const V = this.model.config.nVocab;
    for (const id of row.tokens)
      if (id < 0 || id >= V)
        throw new LabError(
          `token id ${id} is outside the vocabulary (0..${V - 1})`,
          `${split} data`,
          "Tokenize with this model's tokenizer.",
        );
    return row;
  }

  async checkpoint(): Promise<TrainingCheckpoint> {
    return {
      config: this.config,
      step: this.step,
      elapsedSeconds: this.elapsedSeconds,
      tokensSeen: this.tokensSeen,
      modelName: this.model.config.name,
      params: await this.adapter.readValues(),
      m: await this.adapter.readValues(this.m),
      v: await this.adapter.readValues(this.v),
    };
  }

  async saveCheckpoint(): Promise<void> {
    if (!this.options.store) return;
    await this.options.store.save(serializeCheckpoint(await this.checkpoint()));
    this.options.onCheckpoint?.(this.step);
  }

  /** Frees the trainer's buffers; the adapter stays (free it, or hand it to a Model for generation). */
  free(): void {
    this.graph.free();
    for (const b of [this.grads, this.m, this.v, this.normPartials, this.normOut]) this.gpu.buffers.free(b);
  }
}

function checkRun(data: TrainerData, config: TrainConfig): void {
  checkTrainConfig(config);
  if (data.train.length === 0)
    throw new LabError('the training split is empty', 'training data', 'Add examples, or lower the held-out fraction.');
  if (config.curriculum) {
    if (!data.stages)
      throw new LabError(
        'the run has a curriculum but the data has no stages',
        'training data',
        "Prepare the data with the run's curriculum (prepareTrainingData … { curriculum }).",
      );
    const staged = data.stages.reduce((sum, s) => sum + s.rows, 0);
    if (staged !== data.train.length)
      throw new LabError(
        `the stages hold ${staged} rows, the training split ${data.train.length}`,
        'training data',
        'Prepare the data and its stages together.',
      );
    planStages(data.stages, config.steps, config.batch);
  }
}

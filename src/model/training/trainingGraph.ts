import type { Gpu } from '../../gpu/gpu';
import type { TrackedBuffer } from '../../gpu/allocator';
import { LabError } from '../../errors';
import { embeddingLookup } from '../../kernels/embedding';
import { packF16Pairs } from '../../kernels/f16Pairs';
import type { ModelConfig } from '../config';
import type { ModelWeights } from '../weights';
import type { LoraAdapter } from '../lora/lora';
import { allocateTrainingBuffers, freeTrainingBuffers, type TrainingBuffers, type TrainingShape } from './trainingBuffers';
import { layerBackward, layerForward, loadCheckpoint, type TrainingContext } from './trainingLayer';
import { lossHead } from './trainingHead';

/** One micro-batch on the CPU, T = batch·seqLen entries each, rows back to back. */
export interface BatchInputs {
  ids: Uint32Array;
  /** RoPE position of each token (restarting at 0 for every packed sequence). */
  positions: Uint32Array;
  /** Index within its row of the first token of each token's packed sequence (attention stays inside it). */
  segStart: Uint32Array;
  /** Token to predict at each position, −1 where the loss is masked. */
  labels: Int32Array;
}

/** [mean loss over unmasked tokens, unmasked tokens, loss sum] of one micro-batch. */
export interface MicroBatchLoss {
  mean: number;
  count: number;
  sum: number;
}

/**
 * The training pass of a frozen model with a LoRA adapter: forward through every layer keeping only each layer's
 * input, the chunked cross-entropy head, then layer by layer in reverse — recompute the layer (all but the last,
 * whose working set the forward pass left in place), run its backward —
 * accumulating the adapter's gradients. The frozen weights are used as they are (quantized blocks or f32).
 */
export class TrainingGraph {
  readonly buffers: TrainingBuffers;
  private readonly ctx: TrainingContext;

  constructor(
    readonly gpu: Gpu,
    config: ModelConfig,
    weights: ModelWeights,
    readonly adapter: LoraAdapter,
    /** dA, dB accumulate here (the adapter's layout). */
    readonly grads: TrackedBuffer,
    readonly shape: TrainingShape,
  ) {
    if (shape.lossChunkRows % 64 !== 0 || shape.lossChunkRows < 64) {
      throw new LabError(`loss chunk of ${shape.lossChunkRows} rows is not a positive multiple of 64`, 'training graph');
    }
    this.buffers = allocateTrainingBuffers(gpu, config, shape, adapter.config.rank, adapter.config.targets, adapter.config.dropout);
    this.ctx = { config, weights, adapter, grads, buffers: this.buffers, shape };
  }

  get tokens(): number {
    return this.shape.batch * this.shape.seqLen;
  }

  /** Uploads a micro-batch's inputs. */
  setBatch(batch: BatchInputs): void {
    const T = this.tokens;
    for (const [name, values] of Object.entries(batch)) {
      if ((values as Uint32Array).length !== T)
        throw new LabError(`${name} has ${(values as Uint32Array).length} entries, expected ${T}`, 'training batch');
    }
    const V = this.ctx.config.nVocab;
    for (const id of batch.ids) if (id >= V) throw new LabError(`token id ${id} is outside the vocabulary (0..${V - 1})`, 'training batch');
    const b = this.buffers;
    this.gpu.write(b.ids, batch.ids);
    this.gpu.write(b.positions, batch.positions);
    this.gpu.write(b.segStart, batch.segStart);
    this.gpu.write(b.labels, batch.labels);
  }

  /** Forward only: the micro-batch's loss (evaluation: never with dropout). */
  async loss(): Promise<MicroBatchLoss> {
    const rec = this.gpu.recorder();
    this.recordForward(rec);
    lossHead(rec, this.ctx);
    rec.submit();
    return this.readLoss();
  }

  /**
   * Forward and backward: the adapter's gradients of gradScale × (summed token loss) are added to `grads`
   * (gradScale = 1 / unmasked tokens of the whole optimizer step gives the mean over its micro-batches).
   * With LoRA dropout, `dropoutStream` (e.g. [seed, step, micro-batch]) keys the masks: the loss is then a
   * deterministic function of the adapter for a given stream, and the returned loss is the one with dropout.
   */
  async lossAndGradients(gradScale: number, dropoutStream?: readonly number[]): Promise<MicroBatchLoss> {
    const p = this.adapter.config.dropout;
    if (p > 0 && !dropoutStream) {
      throw new LabError(
        `LoRA dropout ${p} needs a mask stream for this pass`,
        'training graph',
        'Pass [seed, step, micro-batch] so each pass draws its own masks.',
      );
    }
    const ctx: TrainingContext = p > 0 ? { ...this.ctx, dropout: { p, stream: dropoutStream! } } : this.ctx;
    const rec = this.gpu.recorder();
    this.recordForward(rec, ctx);
    lossHead(rec, ctx, gradScale);
    for (let l = ctx.config.nLayers - 1; l >= 0; l--) {
      // The forward pass has just left the last layer's working set in place, all but an f16-pair checkpoint's
      // unpacked input, which the loss head has overwritten.
      if (l < ctx.config.nLayers - 1) layerForward(rec, ctx, l, 'recompute');
      else loadCheckpoint(rec, ctx, l);
      layerBackward(rec, ctx, l);
      // One submission per layer keeps command buffers small for 32-layer models.
      rec.submit();
    }
    return this.readLoss();
  }

  private recordForward(rec: ReturnType<Gpu['recorder']>, ctx: TrainingContext = this.ctx): void {
    const { config: c, weights: w } = ctx;
    const b = this.buffers;
    const embedded = b.layerInput ?? b.checkpoints[0];
    embeddingLookup(rec, b.ids, w.tokenEmbd, embedded, { tokens: this.tokens }); // [T, D]
    if (b.layerInput) packF16Pairs(rec, b.layerInput, b.checkpoints[0], this.tokens * c.nEmbd);
    for (let l = 0; l < c.nLayers; l++) layerForward(rec, ctx, l, 'save');
  }

  private async readLoss(): Promise<MicroBatchLoss> {
    const [mean, count, sum] = await this.gpu.readF32(this.buffers.lossOut, 3);
    return { mean, count, sum };
  }

  free(): void {
    freeTrainingBuffers(this.gpu, this.buffers);
  }
}

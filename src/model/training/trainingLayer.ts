import type { Recorder } from '../../gpu/recorder';
import type { TrackedBuffer } from '../../gpu/allocator';
import type { LoraAdapter } from '../lora/lora';
import type { ModelConfig } from '../config';
import type { ModelWeights } from '../weights';
import type { TrainingBuffers, TrainingShape } from './trainingBuffers';
import { recordBlockBackward, recordBlockForward, type BlockActivations, type TrainableBlockStep } from '../block';
import { packF16Pairs, unpackF16Pairs } from '../../kernels/f16Pairs';

/** What a training layer step reads: the frozen model, the adapter (with its gradient buffer) and the step's buffers. */
export interface TrainingContext {
  config: ModelConfig;
  weights: ModelWeights;
  adapter: LoraAdapter;
  /** dA and dB of every slot, laid out like the adapter's parameters; accumulated into. */
  grads: TrackedBuffer;
  buffers: TrainingBuffers;
  shape: TrainingShape;
  /** Set for a training pass with LoRA dropout (never for evaluation): the stream that keys its masks. */
  dropout?: { p: number; stream: readonly number[] };
}

/**
 * The block (block.ts) as training runs it over T = batch·seqLen tokens: attention within each packed sequence,
 * the adapter's x·Aᵀ kept per projection, gate and up stored in the saved precision, the layer's input and output
 * in the checkpoints.
 */
function blockStep(ctx: TrainingContext): TrainableBlockStep {
  const { config, weights, shape, buffers: b } = ctx;
  const dropout = ctx.dropout && b.loraX && { ...ctx.dropout, x: b.loraX };
  return {
    config,
    weights,
    tokens: shape.batch * shape.seqLen,
    branch: { lora: ctx.adapter, h: b.loraH, dropout, gradients: { grads: ctx.grads, dh: b.dh } },
    attention: { kind: 'packed', batch: shape.batch, seqLen: shape.seqLen, segStart: b.segStart, lse: b.lse },
    savedFfn: { precision: b.savedPrecision, scratch: b.dhidden },
  };
}

/**
 * Checkpoint l as f32 [T, D]: the checkpoint itself, or with f16 pairs unpacked into layerInput (recorded here).
 * Every reader of a checkpoint goes through this, so the first forward pass, the recompute and the loss head all
 * see the same (rounded) values.
 */
export function loadCheckpoint(rec: Recorder, ctx: TrainingContext, l: number): TrackedBuffer {
  const b = ctx.buffers;
  if (!b.layerInput) return b.checkpoints[l];
  unpackF16Pairs(rec, b.checkpoints[l], b.layerInput, ctx.shape.batch * ctx.shape.seqLen * ctx.config.nEmbd);
  return b.layerInput;
}

/** Where layer l writes its output: checkpoints[l + 1] itself, or with f16 pairs over its f32 input (stored after). */
function layerActivations(b: TrainingBuffers, l: number, x: TrackedBuffer): BlockActivations {
  return { ...b, x, out: b.layerInput ?? b.checkpoints[l + 1] };
}

/**
 * Layer l forward from its checkpoint x = checkpoints[l], leaving the working set the backward pass needs.
 * 'save' also writes the layer's output into checkpoints[l + 1] (the first forward pass); 'recompute' (during
 * backward) stops short of it.
 */
export function layerForward(rec: Recorder, ctx: TrainingContext, l: number, mode: 'save' | 'recompute'): void {
  const b = ctx.buffers;
  const x = loadCheckpoint(rec, ctx, l);
  recordBlockForward(rec, blockStep(ctx), l, layerActivations(b, l, x), { recompute: mode === 'recompute' });
  if (mode === 'save' && b.layerInput)
    packF16Pairs(rec, b.layerInput, b.checkpoints[l + 1], ctx.shape.batch * ctx.shape.seqLen * ctx.config.nEmbd);
}

/**
 * Layer l backward after `layerForward(…, 'recompute')` (or, for the last layer, the first forward pass and
 * `loadCheckpoint(…, l)`, as its input is what the backward pass reads): on entry dx holds dL/d(output of layer l),
 * on exit dL/d(input of layer l); dA and dB of the layer's adapters accumulate into the gradient buffer.
 */
export function layerBackward(rec: Recorder, ctx: TrainingContext, l: number): void {
  const b = ctx.buffers;
  recordBlockBackward(rec, blockStep(ctx), l, layerActivations(b, l, b.layerInput ?? b.checkpoints[l]), b);
}

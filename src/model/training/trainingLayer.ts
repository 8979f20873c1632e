import type { Recorder } from '../../gpu/recorder';
import type { TrackedBuffer } from '../../gpu/allocator';
import type { LoraAdapter } from '../lora/lora';
import type { ModelConfig } from '../config';
import type { ModelWeights } from '../weights';
import type { TrainingBuffers, TrainingShape } from './trainingBuffers';
import { recordBlockBackward, recordBlockForward, type BlockActivations, type TrainableBlockStep } from '../block';

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
 * the adapter's x·Aᵀ kept per projection, the layer's input and output in the checkpoints.
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
  };
}

function layerActivations(b: TrainingBuffers, l: number): BlockActivations {
  return { ...b, x: b.checkpoints[l], out: b.checkpoints[l + 1] };
}

/**
 * Layer l forward from its checkpoint x = checkpoints[l], leaving the working set the backward pass needs.
 * 'save' also writes the layer's output into checkpoints[l + 1] (the first forward pass); 'recompute' (during
 * backward) stops short of it.
 */
export function layerForward(rec: Recorder, ctx: TrainingContext, l: number, mode: 'save' | 'recompute'): void {
  recordBlockForward(rec, blockStep(ctx), l, layerActivations(ctx.buffers, l), { recompute: mode === 'recompute' });
}

/**
 * Layer l backward after `layerForward(…, 'recompute')`: on entry dx holds dL/d(output of layer l), on exit
 * dL/d(input of layer l); dA and dB of the layer's adapters accumulate into the gradient buffer.
 */
export function layerBackward(rec: Recorder, ctx: TrainingContext, l: number): void {
  recordBlockBackward(rec, blockStep(ctx), l, layerActivations(ctx.buffers, l), ctx.buffers);
}

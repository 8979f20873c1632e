import type { Recorder } from '../gpu/recorder';
import { matvecDot, matvecQuantizesOutput } from '../kernels/qmatmul';
import { stackedQkvTakesQuantized } from '../kernels/qmatvecStacked';
import { fusableStack, matvecWeight, type ProjectionStep } from './projection';
import type { Projection } from './tensorNames';

/**
 * Which inputs of an inference block arrive as 8-bit rows written by the kernel that produced them
 * (src/kernels/qmatmul.ts `QuantizedOutput`), so that the products reading them skip a quantization dispatch of their
 * own. This holds on adapters whose matvecs take 8-bit dot products (CPU adapters: `matvecDot`) for:
 * - 'attention': the residual stream with layer l's attention norm, read by q, k, v; quantized by the previous
 *   layer's down projection, or for layer 0 after the embedding lookup (src/model/forwardPass.ts);
 * - 'o': the attention output, read by o; quantized by the attention kernel where it can (`quantizesOutput`);
 * - 'ffn': the residual stream with the FFN norm, read by gate and up; quantized by the o projection;
 * - 'down': the hidden activation, read by down; quantized by the stacked gate and up with SwiGLU.
 */
export type QuantizedInput = 'attention' | 'o' | 'ffn' | 'down';

const READERS: Record<QuantizedInput, readonly Projection[]> = {
  attention: ['q', 'k', 'v'],
  o: ['o'],
  ffn: ['gate', 'up'],
  down: ['down'],
};

/** A block step as the handoffs see it: its products, and whether its attention can write its output quantized. */
export interface HandoffStep extends ProjectionStep {
  attention: { kind: 'cache'; quantizesOutput: boolean } | { kind: 'packed' };
}

/** Whether projection p of layer l takes 8-bit activations in this step: its matvec has a scratch and an 8-bit dot. */
function takes8Bit(rec: Recorder, s: ProjectionStep, l: number, p: Projection): boolean {
  const w = matvecWeight(s, l, p);
  return w !== undefined && s.matvecScratch !== undefined && matvecDot(rec, w) !== 'f32';
}

function readersTake8Bit(rec: Recorder, s: ProjectionStep, l: number, input: QuantizedInput): boolean {
  if (!READERS[input].every((p) => takes8Bit(rec, s, l, p))) return false;
  // The stacked q, k, v dispatch takes 8-bit rows only where the adapter allows its ninth storage buffer.
  return input !== 'attention' || !fusableStack(s, l, 'qkv') || stackedQkvTakesQuantized(rec);
}

/** Whether projection p of layer l can write its output quantized: a matvec whose output is whole blocks of one part. */
function projectionQuantizes(rec: Recorder, s: ProjectionStep, l: number, p: Projection): boolean {
  const w = matvecWeight(s, l, p);
  return w !== undefined && matvecQuantizesOutput(rec, w.N, w.parts.length);
}

function producerQuantizes(rec: Recorder, s: HandoffStep, l: number, input: QuantizedInput): boolean {
  if (input === 'attention') return l === 0 || projectionQuantizes(rec, s, l - 1, 'down');
  if (input === 'o') return s.attention.kind === 'cache' && s.attention.quantizesOutput;
  if (input === 'ffn') return projectionQuantizes(rec, s, l, 'o');
  const gateUp = fusableStack(s, l, 'gateUp');
  return gateUp !== undefined && matvecQuantizesOutput(rec, gateUp.sections[0].N);
}

/**
 * Whether `input` of layer l arrives quantized in this step: the step has the buffers for it (its matvec scratch and
 * quantized residual), every product reading it takes 8-bit activations and the kernel writing it can quantize them.
 * The block asks it on both sides of each handoff, so the writer quantizes exactly when the readers look.
 */
export function arrivesQuantized(rec: Recorder, s: HandoffStep, l: number, input: QuantizedInput): boolean {
  return s.quantizedResidual !== undefined && readersTake8Bit(rec, s, l, input) && producerQuantizes(rec, s, l, input);
}

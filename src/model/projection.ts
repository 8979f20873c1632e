import type { Binding, Recorder } from '../gpu/recorder';
import type { TrackedBuffer } from '../gpu/allocator';
import { loraBackward, loraForward, type LoraShape } from '../kernels/lora';
import { matmul } from '../kernels/matmul';
import { dropout, dropoutBackward, dropoutKey, type DropoutShape } from '../kernels/dropout';
import { linear, linearBackward } from './linear';
import type { LoraAdapter, LoraSlot } from './lora';
import type { ModelWeights } from './weights';
import { PROJECTIONS, type Projection } from './tensorNames';

/**
 * One projection of a block, y = x·Wᵀ through the frozen weight plus the LoRA branch scale·(x·Aᵀ)·Bᵀ where the
 * adapter targets it, forward and backward. Shapes: T rows, r rank, in/out the projection's features.
 */

/**
 * LoRA dropout, in a training pass only (never evaluation or inference): the branch of projection p in layer l
 * sees dropout(x), the mask keyed by (...stream, l, p), so a recompute regenerates the same mask.
 */
export interface LoraDropout {
  p: number;
  stream: readonly number[];
  /** [T, widest adapter input]: dropout(x) of the projection being computed; in backward, dL/d dropout(x). */
  x: TrackedBuffer;
}

/** The adapter applied unmerged beside the frozen weights. */
export interface AdapterBranch {
  lora: LoraAdapter;
  /**
   * x·Aᵀ [T, r] of each projection: one scratch shared by all (inference), or one each, kept for the backward
   * pass (training).
   */
  h: Partial<Record<Projection, TrackedBuffer>>;
  dropout?: LoraDropout;
  /** For the backward pass: dA and dB of every slot (the adapter's layout), accumulated into; scratch dh [T, r]. */
  gradients?: { grads: TrackedBuffer; dh: TrackedBuffer };
}

/** What the projections of one step read besides their inputs: the frozen weights, the branch, T rows. */
export interface ProjectionStep {
  weights: ModelWeights;
  branch?: AdapterBranch;
  tokens: number;
}

/** A step whose branch can run backward. */
export type TrainableProjectionStep = ProjectionStep & { branch?: AdapterBranch & Required<Pick<AdapterBranch, 'gradients'>> };

/** The branch of projection p in layer l, when the adapter targets it. */
function branchOf(s: ProjectionStep, l: number, p: Projection): { branch: AdapterBranch; slot: LoraSlot; h: TrackedBuffer } | undefined {
  const branch = s.branch;
  const slot = branch?.lora.slot(l, p);
  const h = branch?.h[p];
  return branch && slot && h ? { branch, slot, h } : undefined;
}

function loraShape(s: ProjectionStep, branch: AdapterBranch, slot: LoraSlot): LoraShape {
  const { lora } = branch;
  return { tokens: s.tokens, inFeatures: slot.inFeatures, outFeatures: slot.outFeatures, rank: lora.config.rank, scale: lora.scale };
}

/** The dropout mask of the branch's [T, in] input, when this pass drops out. */
function dropoutMask(s: ProjectionStep, l: number, p: Projection, branch: AdapterBranch, slot: LoraSlot): DropoutShape | undefined {
  const d = branch.dropout;
  return d && { n: s.tokens * slot.inFeatures, p: d.p, key: dropoutKey([...d.stream, l, PROJECTIONS.indexOf(p)]) };
}

/** What the branch reads: x itself, or dropout(x) written into dropout.x. */
function branchInput(rec: Recorder, x: Binding, branch: AdapterBranch, mask: DropoutShape | undefined): Binding {
  if (!mask || !branch.dropout) return x;
  dropout(rec, x, branch.dropout.x, mask);
  return branch.dropout.x;
}

/** y = x·Wᵀ (+ y when accumulating) for projection p of layer l, plus the branch's share, leaving x·Aᵀ in h[p]. */
export function project(rec: Recorder, s: ProjectionStep, l: number, p: Projection, x: Binding, y: Binding, accumulate = false): void {
  linear(rec, x, s.weights.layers[l].proj[p], y, s.tokens, accumulate);
  const target = branchOf(s, l, p);
  if (!target) return;
  const { branch, slot, h } = target;
  const input = branchInput(rec, x, branch, dropoutMask(s, l, p, branch, slot));
  const { lora } = branch;
  loraForward(rec, { x: input, a: lora.binding(slot, 'a'), b: lora.binding(slot, 'b'), h, y }, loraShape(s, branch, slot));
}

/**
 * Only the branch's h = x·Aᵀ (x after the same dropout) of projection p: what its backward pass reads, for a
 * recompute that does not need y.
 */
export function projectBranchH(rec: Recorder, s: ProjectionStep, l: number, p: Projection, x: Binding): void {
  const target = branchOf(s, l, p);
  if (!target) return;
  const { branch, slot, h } = target;
  const rank = branch.lora.config.rank;
  // The same clear-then-accumulate product as loraForward, so no extra matmul pipeline is compiled.
  rec.clear(h, 0, s.tokens * rank * 4);
  const input = branchInput(rec, x, branch, dropoutMask(s, l, p, branch, slot));
  matmul(rec, input, branch.lora.binding(slot, 'a'), h, { M: s.tokens, N: rank, K: slot.inFeatures, transB: true, accumulate: true });
}

/**
 * dx (+)= dy·W through the frozen weight of projection p, plus the branch's share; accumulates dA and dB of p.
 * x is the projection's forward input (dA needs it, after the same dropout as the forward pass).
 */
export function projectBackward(
  rec: Recorder,
  s: TrainableProjectionStep,
  l: number,
  p: Projection,
  x: Binding,
  dy: Binding,
  dx: Binding,
  accumulate: boolean,
): void {
  linearBackward(rec, dy, s.weights.layers[l].proj[p], dx, s.tokens, accumulate);
  const target = branchOf(s, l, p);
  if (!target || !s.branch) return;
  const { slot, h } = target;
  const { lora, gradients } = s.branch;
  const mask = dropoutMask(s, l, p, s.branch, slot);
  const a = lora.binding(slot, 'a');
  const input = branchInput(rec, x, s.branch, mask);
  loraBackward(
    rec,
    {
      x: input,
      a,
      b: lora.binding(slot, 'b'),
      h,
      dy,
      dh: gradients.dh,
      da: lora.binding(slot, 'a', gradients.grads),
      db: lora.binding(slot, 'b', gradients.grads),
      dx: mask ? undefined : dx,
    },
    loraShape(s, s.branch, slot),
  );
  if (!mask || !s.branch.dropout) return;
  // dL/d dropout(x) = dh·A into dropout.x (dA has read dropout(x) from it already), then back through the mask onto
  // dx. Clear-then-accumulate is the product loraBackward's own dx uses, so no extra matmul pipeline is compiled.
  const xd = s.branch.dropout.x;
  rec.clear(xd, 0, mask.n * 4);
  matmul(rec, gradients.dh, a, xd, { M: s.tokens, N: slot.inFeatures, K: lora.config.rank, accumulate: true });
  dropoutBackward(rec, xd, dx, mask);
}

import type { Binding, Recorder } from '../gpu/recorder';
import type { TrackedBuffer } from '../gpu/allocator';
import { loraBackward, loraForward, type LoraShape } from '../kernels/lora';
import { matmul } from '../kernels/matmul';
import { dropout, dropoutBackward, dropoutKey, type DropoutShape } from '../kernels/dropout';
import { swiglu } from '../kernels/swiglu';
import { quantizedMatmul, type MatvecEpilogue, type MatvecNorm, type QuantizedOutput } from '../kernels/qmatmul';
import { stackedQkv, stackedSwiglu, type KvStoreTarget, type QkvHeads } from '../kernels/qmatvecStacked';
import type { StackedWeight } from '../kernels/quantWeight';
import { LAYER_STACKS, type StackName } from './layerStacks';
import { biasAdd } from '../kernels/biasAdd';
import { LabError } from '../errors';
import { linear, linearBackward, takesMatvecEpilogue } from './linear';
import type { QuantizedWeight } from '../kernels/quantWeight';
import type { LoraAdapter, LoraSlot } from './lora/lora';
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
  /** Scratch for the matvec kernel's 8-bit activations (inference); without it, f32 activations. */
  matvecScratch?: Binding;
  /**
   * Inference's: the residual stream's rows quantized to 8 bits with the next norm's weight, handed by the product
   * that wrote them to the products that read them (src/model/quantizedHandoff.ts).
   */
  quantizedResidual?: Binding;
}

/** A step whose branch can run backward. */
export type TrainableProjectionStep = ProjectionStep & { branch?: AdapterBranch & Required<Pick<AdapterBranch, 'gradients'>> };

/**
 * What a projection reads: a buffer, or rows for the matvec kernel only (`MatvecInput`).
 */
export type ProjectionInput = Binding | MatvecInput;

/**
 * Rows x with what the matvec kernel does to them: `norm`, x is the residual stream whose RMSNorm the product takes
 * first, the norm folded into the kernel (block.ts folds it where every projection reading the norm runs through that
 * kernel); `quantized`, x (times the norm weight) already quantized to 8 bits by the kernel that wrote x
 * (src/kernels/qmatmul.ts `QuantizedOutput`), read instead of quantizing x again.
 */
export interface MatvecInput {
  rows: Binding;
  norm?: MatvecNorm;
  quantized?: Binding;
}

function isMatvecInput(x: ProjectionInput): x is MatvecInput {
  return 'rows' in x;
}

/**
 * Projection p's weight where the projection over this step's rows can take a prologue or epilogue in the matvec
 * kernel (the weight runs through that kernel: quantized, at most MATVEC_MAX_ROWS rows; no adapter branch adds to
 * its output), undefined where it cannot.
 */
export function matvecWeight(s: ProjectionStep, l: number, p: Projection): QuantizedWeight | undefined {
  const w = s.weights.layers[l].proj[p];
  return !branchOf(s, l, p) && takesMatvecEpilogue(w, s.tokens) ? w : undefined;
}

/** The branch of projection p in layer l, when the adapter targets it. */
function branchOf<B extends AdapterBranch>(
  s: { branch?: B },
  l: number,
  p: Projection,
): { branch: B; slot: LoraSlot; h: TrackedBuffer } | undefined {
  const branch = s.branch;
  const slot = branch?.lora.slot(l, p);
  const h = branch?.h[p];
  return branch && slot && h ? { branch, slot, h } : undefined;
}

function loraShape(s: ProjectionStep, branch: AdapterBranch, slot: LoraSlot): LoraShape {
  const { lora } = branch;
  return { tokens: s.tokens, inFeatures: slot.inFeatures, outFeatures: slot.outFeatures, rank: lora.config.rank, scale: lora.scale };
}

/** The branch's dropout in this pass: the mask of its [T, in] input, and where dropout(x) goes. */
interface BranchDropout {
  mask: DropoutShape;
  x: TrackedBuffer;
}

function dropoutOf(s: ProjectionStep, l: number, p: Projection, branch: AdapterBranch, slot: LoraSlot): BranchDropout | undefined {
  const d = branch.dropout;
  return d && { mask: { n: s.tokens * slot.inFeatures, p: d.p, key: dropoutKey([...d.stream, l, PROJECTIONS.indexOf(p)]) }, x: d.x };
}

/** What the branch reads: x itself, or dropout(x). */
function branchInput(rec: Recorder, x: Binding, drop: BranchDropout | undefined): Binding {
  if (!drop) return x;
  dropout(rec, x, drop.x, drop.mask);
  return drop.x;
}

/**
 * y = x·Wᵀ (+ y when accumulating) for projection p of layer l, plus the branch's share, leaving x·Aᵀ in h[p]. With
 * `quantizedOut`, y's rows are also written quantized for the next product (the matvec kernel only).
 */
export function project(
  rec: Recorder,
  s: ProjectionStep,
  l: number,
  p: Projection,
  x: ProjectionInput,
  y: Binding,
  accumulate = false,
  quantizedOut?: QuantizedOutput,
): void {
  if (isMatvecInput(x) || quantizedOut) {
    const w = matvecWeight(s, l, p);
    if (!w)
      throw new LabError(
        `projection ${p} of layer ${l} cannot ${quantizedOut ? 'quantize its output' : 'take its input'} in the matvec kernel`,
        'forward',
        'run the norm and the quantization as their own steps',
      );
    const input = matvecInput(x);
    quantizedMatmul(rec, input.rows, w, y, {
      M: s.tokens,
      accumulate,
      norm: input.norm,
      quantizedX: input.quantized,
      activationScratch: s.matvecScratch,
      quantizedOut,
    });
    return;
  }
  linear(rec, x, s.weights.layers[l].proj[p], y, s.tokens, { accumulate, matvecScratch: s.matvecScratch });
  const target = branchOf(s, l, p);
  if (!target) return;
  const { branch, slot, h } = target;
  const input = branchInput(rec, x, dropoutOf(s, l, p, branch, slot));
  const { lora } = branch;
  loraForward(rec, { x: input, a: lora.binding(slot, 'a'), b: lora.binding(slot, 'b'), h, y }, loraShape(s, branch, slot));
}

/**
 * Layer l's stack where one matvec dispatch over it can take the place of its projections: the projections are
 * stacked, each could take an epilogue (`matvecWeight`: no branch adds to its output, at most MATVEC_MAX_ROWS rows).
 */
export function fusableStack(s: ProjectionStep, l: number, stack: StackName): StackedWeight | undefined {
  const w = s.weights.layers[l].stacks[stack];
  return w && LAYER_STACKS[stack].every((p) => matvecWeight(s, l, p)) ? w : undefined;
}

/** What the matvec kernel reads for input x. */
function matvecInput(x: ProjectionInput): MatvecInput {
  return isMatvecInput(x) ? x : { rows: x };
}

/**
 * out = silu(x·Wgateᵀ (+ branch))·(x·Wupᵀ (+ branch)), the FFN's hidden activation: where gate and up can be fused,
 * one dispatch over their stack (the bits of the three below); otherwise gate and up into their buffers, then the
 * SwiGLU kernel. Training keeps gate and up for its backward pass (src/model/block.ts `SavedFfn`) and never comes here.
 * With `quantizedOut` (fused only), out's rows are also written quantized for the down projection.
 */
export function projectSwiglu(
  rec: Recorder,
  s: ProjectionStep,
  l: number,
  x: ProjectionInput,
  buffers: { gate: Binding; up: Binding; out: Binding },
  quantizedOut?: QuantizedOutput,
): void {
  const stack = fusableStack(s, l, 'gateUp');
  if (stack) {
    const input = matvecInput(x);
    stackedSwiglu(rec, input.rows, stack, buffers.out, {
      M: s.tokens,
      norm: input.norm,
      quantizedX: input.quantized,
      activationScratch: s.matvecScratch,
      quantizedOut,
    });
    return;
  }
  if (quantizedOut)
    throw new LabError(`layer ${l}: gate and up cannot quantize SwiGLU's output unless fused`, 'forward', 'quantize it as its own step');
  project(rec, s, l, 'gate', x, buffers.gate);
  project(rec, s, l, 'up', x, buffers.up);
  swiglu(rec, buffers.gate, buffers.up, buffers.out, s.tokens * s.weights.layers[l].proj.up.N);
}

/**
 * Layer l's q (+ bias, rotated) into out.q and k (+ bias, rotated), v (+ bias) into the KV cache where out.target(l)
 * says, in one dispatch over the stacked q, k, v weight; false (nothing recorded) where they cannot be fused.
 * `rotation.table` is what the qkv epilogue reads as B (src/kernels/qmatvecStacked.ts `stackedQkv`), with the biases
 * from `biasAt` if any. With the step's matvec scratch it takes the adapter's dot product where the adapter allows the
 * 8-bit one's ninth storage buffer (see `stackedQkv`).
 */
export function projectQkvToCache(
  rec: Recorder,
  s: ProjectionStep,
  l: number,
  x: ProjectionInput,
  out: { q: Binding; rotation: { table: Binding; biasAt?: number }; target: (l: number) => KvStoreTarget },
  heads: QkvHeads,
): boolean {
  const stack = fusableStack(s, l, 'qkv');
  if (!stack) return false;
  const input = matvecInput(x);
  stackedQkv(rec, input.rows, stack, { q: out.q, rotation: out.rotation.table, cache: out.target(l) }, heads, {
    M: s.tokens,
    norm: input.norm,
    quantizedX: input.quantized,
    biasAt: out.rotation.biasAt,
    activationScratch: s.matvecScratch,
  });
  return true;
}

/**
 * y = x·Wᵀ (+ branch) + bias of projection p (Qwen2's q, k, v), without a bias just the projection: the bias in the
 * matvec kernel's epilogue where no branch adds to y first, bit-identical to the projection then shaders/bias_add.wgsl.
 */
export function projectBiased(
  rec: Recorder,
  s: ProjectionStep,
  l: number,
  p: Projection,
  x: ProjectionInput,
  y: Binding,
  bias: Binding | undefined,
): void {
  if (bias && projectFused(rec, s, l, p, x, y, { kind: 'bias', bias })) return;
  project(rec, s, l, p, x, y);
  if (bias) biasAdd(rec, y, bias, { rows: s.tokens, n: s.weights.layers[l].proj[p].N });
}

/** Records projection p through the matvec kernel with `epilogue` into out where it can take one; false where not. */
function projectFused(
  rec: Recorder,
  s: ProjectionStep,
  l: number,
  p: Projection,
  x: ProjectionInput,
  out: Binding,
  epilogue: MatvecEpilogue,
): boolean {
  const w = matvecWeight(s, l, p);
  if (!w) return false;
  const input = matvecInput(x);
  quantizedMatmul(rec, input.rows, w, out, {
    M: s.tokens,
    norm: input.norm,
    quantizedX: input.quantized,
    epilogue,
    activationScratch: s.matvecScratch,
  });
  return true;
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
  const input = branchInput(rec, x, dropoutOf(s, l, p, branch, slot));
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
  if (!target) return;
  const { branch, slot, h } = target;
  const { lora, gradients } = branch;
  const drop = dropoutOf(s, l, p, branch, slot);
  const a = lora.binding(slot, 'a');
  loraBackward(
    rec,
    {
      x: branchInput(rec, x, drop),
      a,
      b: lora.binding(slot, 'b'),
      h,
      dy,
      dh: gradients.dh,
      da: lora.binding(slot, 'a', gradients.grads),
      db: lora.binding(slot, 'b', gradients.grads),
      dx: drop ? undefined : dx,
    },
    loraShape(s, branch, slot),
  );
  if (!drop) return;
  // dL/d dropout(x) = dh·A into drop.x (dA has read dropout(x) from it already), then back through the mask onto dx.
  // Clear-then-accumulate is the product loraBackward's own dx uses, so no extra matmul pipeline is compiled.
  rec.clear(drop.x, 0, drop.mask.n * 4);
  matmul(rec, gradients.dh, a, drop.x, { M: s.tokens, N: slot.inFeatures, K: lora.config.rank, accumulate: true });
  dropoutBackward(rec, drop.x, dx, drop.mask);
}

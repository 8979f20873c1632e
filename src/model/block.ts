import type { Recorder } from '../gpu/recorder';
import type { TrackedBuffer } from '../gpu/allocator';
import { rmsNorm, rmsNormBackward } from '../kernels/rmsnorm';
import { rope, ropeBackward } from '../kernels/rope';
import { attentionForward } from '../kernels/attention';
import { attentionBackward } from '../kernels/attentionBackward';
import { swiglu, swigluBackward } from '../kernels/swiglu';
import { packF16Pairs } from '../kernels/f16Pairs';
import type { StoredPrecision } from '../kernels/storedValues';
import type { KvStoreTarget } from '../kernels/qmatvecStacked';
import type { ModelConfig } from './config';
import {
  matvecWeight,
  project,
  projectBackward,
  projectBiased,
  projectBranchH,
  projectQkvToCache,
  projectSwiglu,
  type ProjectionInput,
  type ProjectionStep,
  type TrainableProjectionStep,
} from './projection';
import type { Projection } from './tensorNames';
import { arrivesQuantized, type QuantizedInput } from './quantizedHandoff';
import type { Binding } from '../gpu/recorder';
import type { QuantizedOutput } from '../kernels/qmatmul';

/**
 * One transformer block over T rows, forward and backward, as inference (prefill, decode, batch decode: forwardPass.ts)
 * and training (forward, recompute, backward: trainingLayer.ts) run it:
 *
 *   xn1 = rmsnorm(x)·w_attn;  q, k, v = xn1·Wq,k,vᵀ (+ LoRA, + bias);  q, k = rope(q, k);  k, v → KV cache (inference)
 *   x2  = x + attention(q, k, v)·Woᵀ
 *   xn2 = rmsnorm(x2)·w_ffn;  hidden = silu(xn2·Wgateᵀ) ∘ xn2·Wupᵀ
 *   out = x2 + hidden·Wdownᵀ
 *
 * Every step treats rows independently except attention, which mixes positions. Shapes: T rows, D = nEmbd,
 * H heads, Hkv KV heads, d head dim, F FFN width. Training stores gate and up for its backward pass (`SavedFfn`).
 */

/**
 * The buffers of one block step. Inference passes one buffer as x, x2 and out (the residual stream, updated in
 * place) and one as xn1 and xn2; training keeps each apart for the backward pass, x being the layer's checkpoint.
 */
export interface BlockActivations {
  x: TrackedBuffer; // [T, D] input
  positions: TrackedBuffer; // [T] u32 RoPE positions
  xn1: TrackedBuffer; // [T, D]
  rstd1: TrackedBuffer; // [T]
  q: TrackedBuffer; // [T, H·d] after RoPE
  k: TrackedBuffer; // [T, Hkv·d] after RoPE
  v: TrackedBuffer; // [T, Hkv·d]
  attn: TrackedBuffer; // [T, H·d]
  x2: TrackedBuffer; // [T, D] residual after attention
  xn2: TrackedBuffer; // [T, D]
  rstd2: TrackedBuffer; // [T]
  gate: TrackedBuffer; // [T, F], stored as SavedFfn says in training
  up: TrackedBuffer; // [T, F], stored as SavedFfn says in training
  hidden: TrackedBuffer; // [T, F] silu(gate)·up
  out: TrackedBuffer; // [T, D]
}

/**
 * Attention against a KV cache: where layer l's new keys and values go, and the attention itself. The block stores
 * them either through the stacked q, k, v projection's epilogue (`target`) or from its k and v buffers (`append`).
 */
export interface CacheAttention {
  /** Where the qkv epilogue stores the rows' keys and values of layer l (its `at` gives their RoPE positions too). */
  target(l: number): KvStoreTarget;
  /** Records the store of the step's rotated k and v (the block's buffers) into layer l's cache. */
  append(rec: Recorder, l: number): void;
  /**
   * Records attention for layer l: the step's rotated q against the cache, into attn, and where `quantizedOut` is
   * given, attn's rows quantized to 8 bits into it too (only where `quantizesOutput`).
   */
  attend(rec: Recorder, l: number, quantizedOut?: Binding): void;
  /** Whether `attend` can write its output quantized (src/kernels/attentionDecode.ts `attentionDecodeQuantizes`). */
  quantizesOutput: boolean;
}

/**
 * Training's attention: causal within each packed sequence of the step's own `batch` rows of `seqLen` tokens,
 * keeping the log-sum-exp the backward pass reads.
 */
export interface PackedAttention {
  batch: number;
  seqLen: number;
  segStart: TrackedBuffer; // [T] u32: first position of each token's packed sequence
  lse: TrackedBuffer; // [batch, H, seqLen]
}

/**
 * How training keeps the FFN's gate and up, which only SwiGLU and its backward read: stored in `precision`
 * (shaders/stored_values.wgsl). In f16 pairs each is projected into `scratch` ([T, F] f32: dhidden, which holds
 * nothing until the backward pass) and then stored; SwiGLU reads the stored values, so the forward and the backward
 * pass see the same numbers.
 */
export interface SavedFfn {
  precision: StoredPrecision;
  scratch: TrackedBuffer;
}

/** What one block step reads besides its activations. */
export interface BlockStep extends ProjectionStep {
  config: ModelConfig;
  attention: ({ kind: 'cache' } & CacheAttention) | ({ kind: 'packed' } & PackedAttention);
  /** Training's: how gate and up are kept for the backward pass. */
  savedFfn?: SavedFfn;
}

/** A block step that can run backward: packed attention, gate and up kept, an adapter branch (if any) with gradients. */
export type TrainableBlockStep = BlockStep &
  TrainableProjectionStep & { attention: { kind: 'packed' } & PackedAttention; savedFfn: SavedFfn };

/** The gradients flowing through one block ([T, ·] like the activations they belong to). */
export interface BlockGradients {
  dx: TrackedBuffer; // [T, D] the residual stream's: dL/d out on entry, dL/d x on exit
  dxn: TrackedBuffer; // [T, D] a norm output's
  dq: TrackedBuffer;
  dk: TrackedBuffer;
  dv: TrackedBuffer;
  dattn: TrackedBuffer;
  rowDot: TrackedBuffer; // [batch, H, seqLen]
  dhidden: TrackedBuffer; // [T, F], then dL/d up (SwiGLU's backward writes it in place)
}

function normShape(s: BlockStep) {
  return { rows: s.tokens, n: s.config.nEmbd, eps: s.config.rmsEps };
}

function ropeShape(s: BlockStep, nHeads: number) {
  const c = s.config;
  return { tokens: s.tokens, nHeads, headDim: c.headDim, nRot: c.nRot, mode: c.ropeMode };
}

function packedShape(c: ModelConfig, a: PackedAttention) {
  return { batch: a.batch, qLen: a.seqLen, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, window: c.slidingWindow };
}

/**
 * The input of the projections `readers`: rmsnorm(x)·w, recorded into y (and rstd) where it must be kept or a reader
 * cannot fold it; otherwise x itself with the norm for the readers' matvec prologue, one dispatch fewer, and x·w
 * already quantized where `quantized` is given (src/model/quantizedHandoff.ts).
 */
function normalised(
  rec: Recorder,
  s: BlockStep,
  l: number,
  readers: readonly Projection[],
  buffers: { x: TrackedBuffer; w: TrackedBuffer; y: TrackedBuffer; rstd: TrackedBuffer },
  keep: boolean,
  quantized?: Binding,
): ProjectionInput {
  if (!keep && readers.every((p) => matvecWeight(s, l, p)))
    return { rows: buffers.x, norm: { weight: buffers.w, eps: s.config.rmsEps }, quantized };
  rmsNorm(rec, buffers, normShape(s));
  return buffers.y;
}

/**
 * Where the kernel writing an input of layer l also writes it quantized, as `arrivesQuantized` says: the buffer,
 * and the weight of the norm its readers fold in. Undefined where the input does not arrive quantized.
 */
function quantizedFor(rec: Recorder, s: BlockStep, l: number, input: QuantizedInput): QuantizedOutput | undefined {
  if (l >= s.config.nLayers || !arrivesQuantized(rec, s, l, input)) return undefined;
  const layer = s.weights.layers[l];
  if (input === 'o' || input === 'down') return s.matvecScratch && { xq: s.matvecScratch };
  return s.quantizedResidual && { xq: s.quantizedResidual, normWeight: input === 'attention' ? layer.attnNorm : layer.ffnNorm };
}

/** y = x·Wᵀ (+ branch) of projection p kept as `saved` says: f32 directly, f16 pairs through the f32 scratch. */
function projectSaved(rec: Recorder, s: BlockStep, l: number, p: Projection, x: ProjectionInput, y: TrackedBuffer, saved: SavedFfn): void {
  if (saved.precision === 'f32') {
    project(rec, s, l, p, x, y);
    return;
  }
  project(rec, s, l, p, x, saved.scratch);
  packF16Pairs(rec, saved.scratch, y, s.tokens * s.weights.layers[l].proj[p].N);
}

/** Starts the residual sum `to = from + …`: the accumulating projection adds onto `to`, so it must hold `from`. */
function residualFrom(rec: Recorder, s: BlockStep, from: TrackedBuffer, to: TrackedBuffer): void {
  if (from !== to) rec.copy(from, to, s.tokens * s.config.nEmbd * 4);
}

/**
 * Block l forward from a.x. With `recompute` (training's backward pass, which already holds the block's output as
 * the next checkpoint) it stops short of out and only keeps the down projection's x·Aᵀ.
 */
export function recordBlockForward(
  rec: Recorder,
  s: BlockStep,
  l: number,
  a: BlockActivations,
  options: { recompute?: boolean } = {},
): void {
  const c = s.config;
  const layer = s.weights.layers[l];

  // Training's backward pass reads the norms' outputs and rstd, and up (packed attention is training's).
  const training = s.attention.kind === 'packed';

  // Attention: q, k, v and the cache store in one dispatch where the layer's weights are stacked and nothing reads
  // k and v but the cache.
  const attentionIn = quantizedFor(rec, s, l, 'attention');
  const xn1 = normalised(rec, s, l, ['q', 'k', 'v'], { x: a.x, w: layer.attnNorm, y: a.xn1, rstd: a.rstd1 }, training, attentionIn?.xq);
  const attention = s.attention;
  const rotation = layer.ropeBias ? { table: layer.ropeBias, biasAt: c.nRot / 2 } : { table: s.weights.ropeInvFreq };
  const heads = { nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, nRot: c.nRot, mode: c.ropeMode };
  const stored = attention.kind === 'cache' && projectQkvToCache(rec, s, l, xn1, { q: a.q, rotation, target: attention.target }, heads);
  if (!stored) {
    projectBiased(rec, s, l, 'q', xn1, a.q, layer.bias?.q); // [T, H·d]
    projectBiased(rec, s, l, 'k', xn1, a.k, layer.bias?.k); // [T, Hkv·d]
    projectBiased(rec, s, l, 'v', xn1, a.v, layer.bias?.v); // [T, Hkv·d]
    const ropeBuffers = { positions: a.positions, invFreq: s.weights.ropeInvFreq };
    rope(rec, { x: a.q, ...ropeBuffers }, ropeShape(s, c.nHeads));
    rope(rec, { x: a.k, ...ropeBuffers }, ropeShape(s, c.nKvHeads));
    if (attention.kind === 'cache') attention.append(rec, l);
  }
  const oIn = quantizedFor(rec, s, l, 'o');
  if (attention.kind === 'cache') attention.attend(rec, l, oIn?.xq);
  else
    attentionForward(
      rec,
      { q: a.q, k: a.k, v: a.v, out: a.attn, lse: attention.lse, segStart: attention.segStart },
      packedShape(c, attention),
    );
  residualFrom(rec, s, a.x, a.x2);
  const ffnIn = quantizedFor(rec, s, l, 'ffn');
  project(rec, s, l, 'o', oIn ? { rows: a.attn, quantized: oIn.xq } : a.attn, a.x2, true, ffnIn); // x2 = x + attn·Woᵀ

  // Feed-forward.
  const xn2 = normalised(rec, s, l, ['gate', 'up'], { x: a.x2, w: layer.ffnNorm, y: a.xn2, rstd: a.rstd2 }, training, ffnIn?.xq);
  // Training keeps gate and up; inference may have hidden quantized for down as SwiGLU writes it.
  const downIn = s.savedFfn ? undefined : quantizedFor(rec, s, l, 'down');
  if (s.savedFfn) {
    projectSaved(rec, s, l, 'gate', xn2, a.gate, s.savedFfn); // [T, F]
    projectSaved(rec, s, l, 'up', xn2, a.up, s.savedFfn); // [T, F]
    swiglu(rec, a.gate, a.up, a.hidden, s.tokens * c.nFf, s.savedFfn.precision); // hidden [T, F]
  } else {
    projectSwiglu(rec, s, l, xn2, { gate: a.gate, up: a.up, out: a.hidden }, downIn); // hidden [T, F]
  }
  if (options.recompute) {
    projectBranchH(rec, s, l, 'down', a.hidden);
    return;
  }
  residualFrom(rec, s, a.x2, a.out);
  const hidden = downIn ? { rows: a.hidden, quantized: downIn.xq } : a.hidden;
  project(rec, s, l, 'down', hidden, a.out, true, quantizedFor(rec, s, l + 1, 'attention')); // out = x2 + hidden·Wdownᵀ
}

/**
 * Block l backward, with a holding the block's working set from its forward pass (saved or recomputed): on entry
 * g.dx holds dL/d out, on exit dL/d x; dA and dB of the layer's adapters accumulate into the branch's gradients.
 */
export function recordBlockBackward(rec: Recorder, s: TrainableBlockStep, l: number, a: BlockActivations, g: BlockGradients): void {
  const c = s.config;
  const layer = s.weights.layers[l];
  const rows = { rows: s.tokens, n: c.nEmbd, accumulate: true };

  // Feed-forward. out = x2 + hidden·Wdownᵀ: dhidden = dx·Wdown; dx passes to x2 unchanged (residual).
  projectBackward(rec, s, l, 'down', a.hidden, g.dx, g.dhidden, false);
  const dgate = a.hidden; // hidden is not read again
  const dup = g.dhidden; // written over dhidden
  swigluBackward(rec, { doutDup: g.dhidden, gate: a.gate, up: a.up, dgate }, s.tokens * c.nFf, s.savedFfn.precision);
  projectBackward(rec, s, l, 'gate', a.xn2, dgate, g.dxn, false);
  projectBackward(rec, s, l, 'up', a.xn2, dup, g.dxn, true);
  rmsNormBackward(rec, { x: a.x2, w: layer.ffnNorm, dy: g.dxn, rstd: a.rstd2, dx: g.dx }, rows); // dx = dL/dx2

  // Attention. x2 = x + attn·Woᵀ.
  projectBackward(rec, s, l, 'o', a.attn, g.dx, g.dattn, false);
  const { lse, segStart } = s.attention;
  attentionBackward(
    rec,
    { q: a.q, k: a.k, v: a.v, out: a.attn, lse, segStart, dOut: g.dattn, rowDot: g.rowDot, dq: g.dq, dk: g.dk, dv: g.dv },
    packedShape(c, s.attention),
  );
  const ropeBuffers = { positions: a.positions, invFreq: s.weights.ropeInvFreq };
  ropeBackward(rec, { dy: g.dq, ...ropeBuffers }, ropeShape(s, c.nHeads));
  ropeBackward(rec, { dy: g.dk, ...ropeBuffers }, ropeShape(s, c.nKvHeads));
  projectBackward(rec, s, l, 'q', a.xn1, g.dq, g.dxn, false);
  projectBackward(rec, s, l, 'k', a.xn1, g.dk, g.dxn, true);
  projectBackward(rec, s, l, 'v', a.xn1, g.dv, g.dxn, true);
  rmsNormBackward(rec, { x: a.x, w: layer.attnNorm, dy: g.dxn, rstd: a.rstd1, dx: g.dx }, rows); // dx = dL/dx
}

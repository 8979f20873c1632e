import type { Binding, Recorder } from '../gpu/recorder';
import type { TrackedBuffer } from '../gpu/allocator';
import { rmsNorm, rmsNormBackward } from '../kernels/rmsnorm';
import { rope, ropeBackward } from '../kernels/rope';
import { attentionForward } from '../kernels/attention';
import { attentionBackward } from '../kernels/attentionBackward';
import { swiglu, swigluBackward } from '../kernels/swiglu';
import { biasAdd } from '../kernels/biasAdd';
import { loraBackward } from '../kernels/lora';
import { matmul } from '../kernels/matmul';
import { dropout, dropoutBackward, dropoutKey, type DropoutShape } from '../kernels/dropout';
import { linear, linearBackward } from './linear';
import { applyLora, type LoraAdapter } from './lora';
import type { ModelConfig } from './config';
import type { ModelWeights } from './weights';
import { PROJECTIONS, type Projection } from './tensorNames';
import type { TrainingBuffers, TrainingShape } from './trainingBuffers';

/** What a training layer step reads: the frozen model, the adapter (with its gradient buffer) and the step's buffers. */
export interface TrainingContext {
  config: ModelConfig;
  weights: ModelWeights;
  adapter: LoraAdapter;
  /** dA and dB of every slot, laid out like the adapter's parameters; accumulated into. */
  grads: TrackedBuffer;
  buffers: TrainingBuffers;
  shape: TrainingShape;
  /**
   * Set for a training pass with LoRA dropout (never for evaluation): the adapter branch of projection p in layer
   * l sees dropout(x) with the mask keyed by (...stream, l, p), so a recompute regenerates the same mask.
   */
  dropout?: { p: number; stream: readonly number[] };
}

const tokensOf = (ctx: TrainingContext) => ctx.shape.batch * ctx.shape.seqLen;

/** The mask of projection p in layer l over its [T, inFeatures] input, when this pass drops out. */
function dropoutShape(ctx: TrainingContext, l: number, p: Projection, inFeatures: number): DropoutShape | undefined {
  const d = ctx.dropout;
  if (!d || !ctx.buffers.loraX) return undefined;
  return { n: tokensOf(ctx) * inFeatures, p: d.p, key: dropoutKey([...d.stream, l, PROJECTIONS.indexOf(p)]) };
}

/** What the adapter of p reads: x itself, or dropout(x) written into loraX. */
function adapterInput(rec: Recorder, ctx: TrainingContext, l: number, p: Projection, x: Binding): Binding {
  const slot = ctx.adapter.slot(l, p);
  const mask = slot && dropoutShape(ctx, l, p, slot.inFeatures);
  if (!mask) return x;
  dropout(rec, x, ctx.buffers.loraX!, mask);
  return ctx.buffers.loraX!;
}

/** y = x·Wᵀ (+ y) plus the adapter's share, keeping x·Aᵀ (x after dropout) in loraH[p] for the backward pass. */
function project(rec: Recorder, ctx: TrainingContext, l: number, p: Projection, x: Binding, y: Binding, accumulate = false): void {
  const T = tokensOf(ctx);
  linear(rec, x, ctx.weights.layers[l].proj[p], y, T, accumulate);
  const h = ctx.buffers.loraH[p];
  if (h) applyLora(rec, ctx.adapter, l, p, { x: adapterInput(rec, ctx, l, p, x), y, h }, T);
}

/**
 * dX (+)= dY·W through the frozen weight of projection p, plus the adapter's share; accumulates dA and dB of p.
 * x is the projection's forward input (the adapter's dA needs it, after the same dropout as the forward pass).
 */
function projectBackward(rec: Recorder, ctx: TrainingContext, l: number, p: Projection, x: Binding, dy: Binding, dx: Binding, accumulate: boolean): void {
  const T = tokensOf(ctx);
  linearBackward(rec, dy, ctx.weights.layers[l].proj[p], dx, T, accumulate);
  const slot = ctx.adapter.slot(l, p);
  const h = ctx.buffers.loraH[p];
  if (!slot || !h) return;
  const { adapter, grads } = ctx;
  const mask = dropoutShape(ctx, l, p, slot.inFeatures);
  const a = adapter.binding(slot, 'a');
  const dh = ctx.buffers.dh;
  loraBackward(
    rec,
    {
      x: adapterInput(rec, ctx, l, p, x),
      a,
      b: adapter.binding(slot, 'b'),
      h,
      dy,
      dh,
      da: adapter.binding(slot, 'a', grads),
      db: adapter.binding(slot, 'b', grads),
      dx: mask ? undefined : dx,
    },
    { tokens: T, inFeatures: slot.inFeatures, outFeatures: slot.outFeatures, rank: adapter.config.rank, scale: adapter.scale },
  );
  if (!mask) return;
  // dL/d dropout(x) = dh·A into loraX (dA has read dropout(x) from it already), then back through the mask onto dx.
  // Clear-then-accumulate is the product loraBackward's own dx uses, so no extra matmul pipeline is compiled.
  const xd = ctx.buffers.loraX!;
  rec.clear(xd, 0, mask.n * 4);
  matmul(rec, dh, a, xd, { M: T, N: slot.inFeatures, K: adapter.config.rank, accumulate: true });
  dropoutBackward(rec, xd, dx, mask);
}

function attentionShape(ctx: TrainingContext) {
  const c = ctx.config;
  return { batch: ctx.shape.batch, qLen: ctx.shape.seqLen, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, window: c.slidingWindow };
}

function ropeShape(ctx: TrainingContext, nHeads: number) {
  const c = ctx.config;
  return { tokens: tokensOf(ctx), nHeads, headDim: c.headDim, nRot: c.nRot, mode: c.ropeMode };
}

/**
 * Layer l forward from its checkpoint x = checkpoints[l], leaving the working set the backward pass needs.
 * 'save' also writes the layer's output into checkpoints[l + 1] (the first forward pass); 'recompute' (during
 * backward) stops short of it and only keeps the down projection's x·Aᵀ.
 */
export function layerForward(rec: Recorder, ctx: TrainingContext, l: number, mode: 'save' | 'recompute'): void {
  const { config: c, buffers: b } = ctx;
  const T = tokensOf(ctx);
  const layer = ctx.weights.layers[l];
  const x = b.checkpoints[l];
  const rows = { rows: T, n: c.nEmbd, eps: c.rmsEps };

  // Attention: xn1 = rmsnorm(x); q, k, v = xn1·Wᵀ (+ LoRA, + bias); rotate q, k; attend within each packed sequence.
  rmsNorm(rec, { x, w: layer.attnNorm, y: b.xn1, rstd: b.rstd1 }, rows);
  project(rec, ctx, l, 'q', b.xn1, b.q); // [T, H·d]
  project(rec, ctx, l, 'k', b.xn1, b.k); // [T, Hkv·d]
  project(rec, ctx, l, 'v', b.xn1, b.v); // [T, Hkv·d]
  if (layer.bias) {
    biasAdd(rec, b.q, layer.bias.q, { rows: T, n: c.nHeads * c.headDim });
    biasAdd(rec, b.k, layer.bias.k, { rows: T, n: c.nKvHeads * c.headDim });
    biasAdd(rec, b.v, layer.bias.v, { rows: T, n: c.nKvHeads * c.headDim });
  }
  const ropeBuffers = { positions: b.positions, invFreq: ctx.weights.ropeInvFreq };
  rope(rec, { x: b.q, ...ropeBuffers }, ropeShape(ctx, c.nHeads));
  rope(rec, { x: b.k, ...ropeBuffers }, ropeShape(ctx, c.nKvHeads));
  attentionForward(rec, { q: b.q, k: b.k, v: b.v, out: b.attn, lse: b.lse, segStart: b.segStart }, attentionShape(ctx));
  rec.copy(x, b.x2, T * c.nEmbd * 4);
  project(rec, ctx, l, 'o', b.attn, b.x2, true); // x2 = x + attn·Woᵀ

  // Feed-forward: out = x2 + (silu(xn2·Wgateᵀ) ∘ xn2·Wupᵀ)·Wdownᵀ with xn2 = rmsnorm(x2).
  rmsNorm(rec, { x: b.x2, w: layer.ffnNorm, y: b.xn2, rstd: b.rstd2 }, rows);
  project(rec, ctx, l, 'gate', b.xn2, b.gate); // [T, F]
  project(rec, ctx, l, 'up', b.xn2, b.up); // [T, F]
  swiglu(rec, b.gate, b.up, b.hidden, T * c.nFf);
  if (mode === 'save') {
    const out = b.checkpoints[l + 1];
    rec.copy(b.x2, out, T * c.nEmbd * 4);
    project(rec, ctx, l, 'down', b.hidden, out, true);
    return;
  }
  const slot = ctx.adapter.slot(l, 'down');
  const h = b.loraH.down;
  if (slot && h) {
    // The same clear-then-accumulate product as loraForward, so no extra matmul pipeline is compiled.
    rec.clear(h, 0, T * ctx.adapter.config.rank * 4);
    const x = adapterInput(rec, ctx, l, 'down', b.hidden);
    matmul(rec, x, ctx.adapter.binding(slot, 'a'), h, { M: T, N: ctx.adapter.config.rank, K: slot.inFeatures, transB: true, accumulate: true });
  }
}

/**
 * Layer l backward after `layerForward(…, 'recompute')`: on entry dx holds dL/d(output of layer l), on exit
 * dL/d(input of layer l); dA and dB of the layer's adapters accumulate into the gradient buffer.
 */
export function layerBackward(rec: Recorder, ctx: TrainingContext, l: number): void {
  const { config: c, buffers: b } = ctx;
  const T = tokensOf(ctx);
  const layer = ctx.weights.layers[l];
  const rows = { rows: T, n: c.nEmbd };

  // Feed-forward. out = x2 + hidden·Wdownᵀ: dhidden = dx·Wdown; dx passes to x2 unchanged (residual).
  projectBackward(rec, ctx, l, 'down', b.hidden, b.dx, b.dhidden, false);
  const dgate = b.hidden; // hidden is not read again
  swigluBackward(rec, { dout: b.dhidden, gate: b.gate, up: b.up, dgate, dup: b.dup }, T * c.nFf);
  projectBackward(rec, ctx, l, 'gate', b.xn2, dgate, b.dxn, false);
  projectBackward(rec, ctx, l, 'up', b.xn2, b.dup, b.dxn, true);
  rmsNormBackward(rec, { x: b.x2, w: layer.ffnNorm, dy: b.dxn, rstd: b.rstd2, dx: b.dx }, { ...rows, accumulate: true }); // dx = dL/dx2

  // Attention. x2 = x + attn·Woᵀ.
  projectBackward(rec, ctx, l, 'o', b.attn, b.dx, b.dattn, false);
  attentionBackward(
    rec,
    { q: b.q, k: b.k, v: b.v, out: b.attn, lse: b.lse, segStart: b.segStart, dOut: b.dattn, rowDot: b.rowDot, dq: b.dq, dk: b.dk, dv: b.dv },
    attentionShape(ctx),
  );
  const ropeBuffers = { positions: b.positions, invFreq: ctx.weights.ropeInvFreq };
  ropeBackward(rec, { dy: b.dq, ...ropeBuffers }, ropeShape(ctx, c.nHeads));
  ropeBackward(rec, { dy: b.dk, ...ropeBuffers }, ropeShape(ctx, c.nKvHeads));
  projectBackward(rec, ctx, l, 'q', b.xn1, b.dq, b.dxn, false);
  projectBackward(rec, ctx, l, 'k', b.xn1, b.dk, b.dxn, true);
  projectBackward(rec, ctx, l, 'v', b.xn1, b.dv, b.dxn, true);
  rmsNormBackward(rec, { x: b.checkpoints[l], w: layer.attnNorm, dy: b.dxn, rstd: b.rstd1, dx: b.dx }, { ...rows, accumulate: true });
}

import type { TrackedBuffer } from '../gpu/allocator';
import type { Recorder } from '../gpu/recorder';
import { embeddingLookup } from '../kernels/embedding';
import { rmsNorm } from '../kernels/rmsnorm';
import { rope } from '../kernels/rope';
import { swiglu } from '../kernels/swiglu';
import { biasAdd } from '../kernels/biasAdd';
import type { ModelConfig } from './config';
import type { ModelWeights } from './weights';
import type { Activations } from './activations';
import { linear } from './linear';
import { applyLora, type LoraAdapter } from './lora';
import type { Projection } from './tensorNames';

/**
 * The inference forward pass over T rows, shared by the one-sequence model (prefill and decode, model.ts) and the
 * batch decoder (one row per sequence, batchDecode.ts). Every step here treats rows independently; only attention
 * mixes positions, and the caller records it (`AttentionStep`) against whichever KV cache holds the rows'
 * sequences. Shapes: T rows, D = nEmbd, H heads, Hkv KV heads, d head dim, F FFN width, V vocab.
 */
export interface ForwardWeights {
  config: ModelConfig;
  weights: ModelWeights;
  /** The LoRA adapter applied unmerged on top of the frozen weights, and its scratch x·Aᵀ [≥ T, rank]. */
  adapter?: { lora: LoraAdapter; h: TrackedBuffer };
}

/**
 * Records attention for layer `layer`: reads the step's rotated q [T, H·d] and k, v [T, Hkv·d] from the
 * activations, stores k and v in the cache at the rows' positions, and writes attn [T, H·d].
 */
export type AttentionStep = (rec: Recorder, layer: number) => void;

/**
 * Records embedding → every block → (optionally) the output head over the T rows whose ids and RoPE positions
 * are already in `a.ids` and `a.positions`. `head` names the rows whose logits land in a.logits: 'all' rows, the
 * 'last' row only (copied to `lastRow` first), or 'none'.
 */
export function recordForward(
  rec: Recorder,
  fw: ForwardWeights,
  a: Activations,
  T: number,
  attend: AttentionStep,
  head: { rows: 'all' | 'none' } | { rows: 'last'; lastRow: TrackedBuffer },
): void {
  const c = fw.config;
  embeddingLookup(rec, a.ids, fw.weights.tokenEmbd, a.x, { tokens: T }); // x: [T, D]
  for (let l = 0; l < c.nLayers; l++) recordBlock(rec, fw, a, l, T, attend);
  if (head.rows === 'none') return;
  let normInput = a.x;
  let rows = T;
  if (head.rows === 'last') {
    rec.copy(a.x, head.lastRow, c.nEmbd * 4, (T - 1) * c.nEmbd * 4);
    normInput = head.lastRow;
    rows = 1;
  }
  rmsNorm(rec, { x: normInput, w: fw.weights.outputNorm, y: a.xn, rstd: a.rstd }, { rows, n: c.nEmbd, eps: c.rmsEps });
  linear(rec, a.xn, fw.weights.output, a.logits, rows); // logits: [rows, V]
}

/** y = x·Wᵀ (+ y when accumulating) for projection p of layer l, plus the adapter's share where it has one. */
function project(rec: Recorder, fw: ForwardWeights, l: number, p: Projection, x: TrackedBuffer, y: TrackedBuffer, T: number, accumulate = false): void {
  linear(rec, x, fw.weights.layers[l].proj[p], y, T, accumulate);
  if (fw.adapter) applyLora(rec, fw.adapter.lora, l, p, { x, y, h: fw.adapter.h }, T);
}

/** One transformer block over T rows, updating the residual stream x in place. */
function recordBlock(rec: Recorder, fw: ForwardWeights, a: Activations, l: number, T: number, attend: AttentionStep): void {
  const c = fw.config;
  const layer = fw.weights.layers[l];
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;

  // Attention: xn = rmsnorm(x); q, k, v = xn·Wqᵀ, xn·Wkᵀ, xn·Wvᵀ; rotate q and k by position.
  rmsNorm(rec, { x: a.x, w: layer.attnNorm, y: a.xn, rstd: a.rstd }, { rows: T, n: c.nEmbd, eps: c.rmsEps });
  project(rec, fw, l, 'q', a.xn, a.q, T); // [T, H·d]
  project(rec, fw, l, 'k', a.xn, a.k, T); // [T, Hkv·d]
  project(rec, fw, l, 'v', a.xn, a.v, T); // [T, Hkv·d]
  if (layer.bias) {
    biasAdd(rec, a.q, layer.bias.q, { rows: T, n: qDim });
    biasAdd(rec, a.k, layer.bias.k, { rows: T, n: kvDim });
    biasAdd(rec, a.v, layer.bias.v, { rows: T, n: kvDim });
  }
  const ropeShape = { tokens: T, headDim: c.headDim, nRot: c.nRot, mode: c.ropeMode };
  const ropeBuffers = { positions: a.positions, invFreq: fw.weights.ropeInvFreq };
  rope(rec, { x: a.q, ...ropeBuffers }, { ...ropeShape, nHeads: c.nHeads });
  rope(rec, { x: a.k, ...ropeBuffers }, { ...ropeShape, nHeads: c.nKvHeads });
  attend(rec, l); // attn: [T, H·d]
  project(rec, fw, l, 'o', a.attn, a.x, T, true); // x += attn·Woᵀ

  // Feed-forward: x += (silu(xn·Wgateᵀ) ∘ xn·Wupᵀ)·Wdownᵀ with xn = rmsnorm(x).
  rmsNorm(rec, { x: a.x, w: layer.ffnNorm, y: a.xn, rstd: a.rstd }, { rows: T, n: c.nEmbd, eps: c.rmsEps });
  project(rec, fw, l, 'gate', a.xn, a.gate, T); // [T, F]
  project(rec, fw, l, 'up', a.xn, a.up, T); // [T, F]
  swiglu(rec, a.gate, a.up, a.hidden, T * c.nFf);
  project(rec, fw, l, 'down', a.hidden, a.x, T, true); // x += hidden·Wdownᵀ
}

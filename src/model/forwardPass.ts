import type { TrackedBuffer } from '../gpu/allocator';
import type { Recorder } from '../gpu/recorder';
import { embeddingLookup } from '../kernels/embedding';
import { rmsNorm } from '../kernels/rmsnorm';
import type { ModelConfig } from './config';
import type { ModelWeights } from './weights';
import type { Activations } from './activations';
import { linear } from './linear';
import type { LoraAdapter } from './lora/lora';
import { PROJECTIONS } from './tensorNames';
import { recordBlockForward, type BlockActivations, type BlockStep, type CacheAttention } from './block';
import { arrivesQuantized } from './quantizedHandoff';
import { quantizeActivations } from '../kernels/quantizeActivations';

/**
 * The inference forward pass over T rows, shared by the one-sequence model (prefill and decode, model.ts) and the
 * batch decoder (one row per sequence, batchDecode.ts). Every step here treats rows independently; only attention
 * mixes positions, and the caller records it (`CacheAttention`) against whichever KV cache holds the rows'
 * sequences. Shapes: T rows, D = nEmbd, H heads, Hkv KV heads, d head dim, F FFN width, V vocab.
 */
export interface ForwardWeights {
  config: ModelConfig;
  weights: ModelWeights;
  /** The LoRA adapter applied unmerged on top of the frozen weights, and its scratch x·Aᵀ [≥ T, rank]. */
  adapter?: { lora: LoraAdapter; h: TrackedBuffer };
}

/**
 * The block (block.ts) as inference runs it: the residual stream a.x updated in place, one normalised-input
 * buffer and one adapter scratch for every step of the block, attention against the caller's KV cache.
 */
function blockStep(fw: ForwardWeights, a: Activations, T: number, attend: CacheAttention): BlockStep {
  const { config, weights, adapter } = fw;
  const branch = adapter && { lora: adapter.lora, h: Object.fromEntries(PROJECTIONS.map((p) => [p, adapter.h])) };
  return {
    config,
    weights,
    tokens: T,
    branch,
    attention: { kind: 'cache', ...attend },
    matvecScratch: a.matvecScratch,
    quantizedResidual: a.quantizedResidual,
  };
}

function blockActivations(a: Activations): BlockActivations {
  return { ...a, x2: a.x, out: a.x, xn1: a.xn, xn2: a.xn, rstd1: a.rstd, rstd2: a.rstd };
}

/**
 * Records embedding → every block → (optionally) the output head over the T rows whose ids and RoPE positions
 * are already in `a.ids` and `a.positions`. `head` names the rows whose logits land in a.logits: 'all' rows, the
 * 'last' row only (copied to `lastRow` first), or 'none'. Returns the number of dispatches each block recorded.
 */
export function recordForward(
  rec: Recorder,
  fw: ForwardWeights,
  a: Activations,
  T: number,
  attend: CacheAttention,
  head: { rows: 'all' | 'none' } | { rows: 'last'; lastRow: TrackedBuffer },
): number[] {
  const c = fw.config;
  embeddingLookup(rec, a.ids, fw.weights.tokenEmbd, a.x, { tokens: T }); // x: [T, D]
  const step = blockStep(fw, a, T, attend);
  // The first block's input in 8 bits where its products take it so (later blocks' come from the one before).
  if (a.quantizedResidual && arrivesQuantized(rec, step, 0, 'attention')) {
    const shape = { M: T, K: c.nEmbd };
    quantizeActivations(rec, a.x, a.quantizedResidual, shape, { normWeight: fw.weights.layers[0].attnNorm, label: 'embedding' });
  }
  const acts = blockActivations(a);
  const blockDispatches: number[] = [];
  for (let l = 0; l < c.nLayers; l++) {
    const before = rec.dispatchCount;
    recordBlockForward(rec, step, l, acts);
    blockDispatches.push(rec.dispatchCount - before);
  }
  if (head.rows === 'none') return blockDispatches;
  let normInput = a.x;
  let rows = T;
  if (head.rows === 'last') {
    rec.copy(a.x, head.lastRow, c.nEmbd * 4, (T - 1) * c.nEmbd * 4);
    normInput = head.lastRow;
    rows = 1;
  }
  rmsNorm(rec, { x: normInput, w: fw.weights.outputNorm, y: a.xn, rstd: a.rstd }, { rows, n: c.nEmbd, eps: c.rmsEps });
  linear(rec, a.xn, fw.weights.output, a.logits, rows, { matvecScratch: a.matvecScratch }); // logits: [rows, V]
  return blockDispatches;
}

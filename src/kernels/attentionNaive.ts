import type { Binding, Recorder } from '../gpu/recorder';
import { grid2d } from '../gpu/grid';
import { uniformLayout } from '../gpu/uniforms';
import { matmul } from './matmul';

/**
 * The benchmark baseline for attention: materialise the seq×seq scores per head with the tiled matmul, softmax them
 * (shaders/attention_naive.wgsl), multiply by V. Layouts are head-major and f32 — Q, K, V, O, dO, dQ, dK, dV
 * [heads, seq, headDim], scores [heads, seq, seq] — with K and V already repeated to one per query head, which is what
 * a simple implementation does (and favours the baseline: no layout conversion is timed, no GQA sum is done).
 */
export interface NaiveAttentionShape {
  heads: number;
  seq: number;
  headDim: number;
}

export const NAIVE_SOFTMAX_PARAMS = uniformLayout('attention_naive', { seq: 'u32', rows: 'u32' });

function softmaxRows(rec: Recorder, entryPoint: 'softmax' | 'softmaxBackward', bindings: Binding[], shape: NaiveAttentionShape): void {
  const rows = shape.heads * shape.seq;
  rec.dispatch(
    { shader: 'attention_naive', entryPoint },
    bindings,
    grid2d(rows, rec.gpu.limits.maxComputeWorkgroupsPerDimension),
    NAIVE_SOFTMAX_PARAMS.pack({ seq: shape.seq, rows }),
  );
}

/** O = softmax_causal(Q·Kᵀ/√d)·V, leaving the probabilities in `probs`. */
export function naiveAttentionForward(
  rec: Recorder,
  b: { q: Binding; k: Binding; v: Binding; probs: Binding; out: Binding },
  shape: NaiveAttentionShape,
): void {
  const { heads, seq, headDim } = shape;
  matmul(rec, b.q, b.k, b.probs, { M: seq, N: seq, K: headDim, batch: heads, transB: true, alpha: 1 / Math.sqrt(headDim) });
  softmaxRows(rec, 'softmax', [b.probs], shape);
  matmul(rec, b.probs, b.v, b.out, { M: seq, N: headDim, K: seq, batch: heads });
}

/** dV = Pᵀ·dO, dS = P∘(dO·Vᵀ − rowsum), dQ = dS·K/√d, dK = dSᵀ·Q/√d; `dScores` is seq×seq scratch per head. */
export function naiveAttentionBackward(
  rec: Recorder,
  b: { q: Binding; k: Binding; v: Binding; probs: Binding; dOut: Binding; dScores: Binding; dq: Binding; dk: Binding; dv: Binding },
  shape: NaiveAttentionShape,
): void {
  const { heads, seq, headDim } = shape;
  const scale = 1 / Math.sqrt(headDim);
  matmul(rec, b.probs, b.dOut, b.dv, { M: seq, N: headDim, K: seq, batch: heads, transA: true });
  matmul(rec, b.dOut, b.v, b.dScores, { M: seq, N: seq, K: headDim, batch: heads, transB: true });
  softmaxRows(rec, 'softmaxBackward', [b.dScores, b.probs], shape);
  matmul(rec, b.dScores, b.k, b.dq, { M: seq, N: headDim, K: seq, batch: heads, alpha: scale });
  matmul(rec, b.dScores, b.q, b.dk, { M: seq, N: headDim, K: seq, batch: heads, transA: true, alpha: scale });
}

import { attends, resolveAttentionShape, type AttentionShape, type ResolvedAttentionShape } from '../attentionShape';

/**
 * Plain causal grouped-query attention in f64 with an explicit softmax: the trusted answer the kernels are checked
 * against. Layouts as in attentionShape.ts (Q/O token-major [batch, qLen, nHeads, headDim], K/V token-major
 * [batch, kvLen, nKvHeads, headDim], LSE [batch, nHeads, qLen]).
 */
export interface AttentionInputs {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  /** [batch, qLen] first key position of each query's packed sequence. */
  segStart?: Uint32Array;
}

const qIndex = (s: ResolvedAttentionShape, b: number, i: number, h: number): number => ((b * s.qLen + i) * s.nHeads + h) * s.headDim;
const kvIndex = (s: ResolvedAttentionShape, b: number, j: number, g: number): number => ((b * s.kvLen + j) * s.nKvHeads + g) * s.headDim;

/** Probabilities of one score row (query i of head h in batch b) and the row's log-sum-exp; masked keys get 0. */
function probabilityRow(s: ResolvedAttentionShape, x: AttentionInputs, b: number, i: number, h: number): { p: Float64Array; lse: number } {
  const g = Math.floor(h / s.group);
  const qi = qIndex(s, b, i, h);
  const seg = x.segStart?.[b * s.qLen + i];
  const scores = new Float64Array(s.kvLen).fill(-Infinity);
  let max = -Infinity;
  for (let j = 0; j < s.kvLen; j++) {
    if (!attends(s, i, j, seg)) continue;
    const kj = kvIndex(s, b, j, g);
    let dot = 0;
    for (let d = 0; d < s.headDim; d++) dot += x.q[qi + d] * x.k[kj + d];
    scores[j] = dot * s.scale;
    max = Math.max(max, scores[j]);
  }
  let sum = 0;
  for (let j = 0; j < s.kvLen; j++) sum += scores[j] === -Infinity ? 0 : Math.exp(scores[j] - max);
  const p = new Float64Array(s.kvLen);
  for (let j = 0; j < s.kvLen; j++) p[j] = scores[j] === -Infinity ? 0 : Math.exp(scores[j] - max) / sum;
  return { p, lse: max + Math.log(sum) };
}

/** O = softmax(Q·Kᵀ/√d + mask)·V and the per-row log-sum-exp of the scaled, masked scores. */
export function attentionReference(x: AttentionInputs, shape: AttentionShape): { out: Float32Array; lse: Float32Array } {
  const s = resolveAttentionShape(shape, 'attentionReference');
  const out = new Float32Array(s.batch * s.qLen * s.nHeads * s.headDim);
  const lse = new Float32Array(s.batch * s.nHeads * s.qLen);
  for (let b = 0; b < s.batch; b++) {
    for (let h = 0; h < s.nHeads; h++) {
      const g = Math.floor(h / s.group);
      for (let i = 0; i < s.qLen; i++) {
        const row = probabilityRow(s, x, b, i, h);
        lse[(b * s.nHeads + h) * s.qLen + i] = row.lse;
        const oi = qIndex(s, b, i, h);
        for (let d = 0; d < s.headDim; d++) {
          let acc = 0;
          for (let j = 0; j < s.kvLen; j++) if (row.p[j] !== 0) acc += row.p[j] * x.v[kvIndex(s, b, j, g) + d];
          out[oi + d] = acc;
        }
      }
    }
  }
  return { out, lse };
}

/**
 * Gradients of Σ dO∘O with respect to Q, K and V: with P the probabilities and dP = dO·Vᵀ,
 * dV = Pᵀ·dO, dS = P∘(dP − rowsum(P∘dP)), dQ = dS·K/√d, dK = dSᵀ·Q/√d, summed over the query heads of each KV head.
 */
export function attentionBackwardReference(
  x: AttentionInputs,
  dOut: Float32Array,
  shape: AttentionShape,
): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const s = resolveAttentionShape(shape, 'attentionBackwardReference');
  const D = s.headDim;
  const dq = new Float64Array(x.q.length);
  const dk = new Float64Array(x.k.length);
  const dv = new Float64Array(x.v.length);
  for (let b = 0; b < s.batch; b++) {
    for (let h = 0; h < s.nHeads; h++) {
      const g = Math.floor(h / s.group);
      for (let i = 0; i < s.qLen; i++) {
        const { p } = probabilityRow(s, x, b, i, h);
        const qi = qIndex(s, b, i, h);
        const dp = new Float64Array(s.kvLen);
        let rowDot = 0;
        for (let j = 0; j < s.kvLen; j++) {
          if (p[j] === 0) continue;
          const vj = kvIndex(s, b, j, g);
          for (let d = 0; d < D; d++) dp[j] += dOut[qi + d] * x.v[vj + d];
          rowDot += p[j] * dp[j];
        }
        for (let j = 0; j < s.kvLen; j++) {
          if (p[j] === 0) continue;
          const kj = kvIndex(s, b, j, g);
          const ds = p[j] * (dp[j] - rowDot) * s.scale;
          for (let d = 0; d < D; d++) {
            dv[kj + d] += p[j] * dOut[qi + d];
            dq[qi + d] += ds * x.k[kj + d];
            dk[kj + d] += ds * x.q[qi + d];
          }
        }
      }
    }
  }
  return { dq: Float32Array.from(dq), dk: Float32Array.from(dk), dv: Float32Array.from(dv) };
}

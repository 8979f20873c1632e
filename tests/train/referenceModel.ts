import type { ModelConfig } from '../../src/model/config';
import type { LoraSlot } from '../../src/model/lora/lora';
import type { BatchInputs } from '../../src/model/training/trainingGraph';
import { PROJECTIONS, type Projection } from '../../src/model/tensorNames';
import { ropeInverseFrequencies } from '../../src/kernels/rope';
import { dropoutKey } from '../../src/kernels/dropout';
import { dropoutMaskReference } from '../../src/kernels/reference/dropout';

/**
 * The training forward pass of a llama-family model with LoRA, in plain f64 TypeScript: the specification the GPU
 * graph is checked against (loss values, and finite differences of the loss that f32 could not resolve).
 * Weights are the f32 source values of a tiny model (GGUF layout: a [N, K] matrix is N rows of K values).
 */
export interface ReferenceWeights {
  tensors: Map<string, Float32Array>;
}

export interface ReferenceLora {
  rank: number;
  scale: number;
  slots: readonly LoraSlot[];
  values: Float64Array | Float32Array;
  /** A training pass with LoRA dropout: each adapter reads dropout(x), masks keyed by (...stream, layer, projection). */
  dropout?: { p: number; stream: readonly number[] };
}

/** x with the reference mask of (layer l, projection p) applied and kept elements scaled by 1/(1 − p), in f64. */
function dropped(x: Float64Array, dropout: NonNullable<ReferenceLora['dropout']>, l: number, p: Projection): Float64Array {
  const keep = dropoutMaskReference({ n: x.length, p: dropout.p, key: dropoutKey([...dropout.stream, l, PROJECTIONS.indexOf(p)]) });
  return x.map((v, i) => (keep[i] ? v / (1 - dropout.p) : 0));
}

const TENSOR: Record<Projection, string> = {
  q: 'attn_q',
  k: 'attn_k',
  v: 'attn_v',
  o: 'attn_output',
  gate: 'ffn_gate',
  up: 'ffn_up',
  down: 'ffn_down',
};

/** y[M, N] = x[M, K]·Wᵀ. */
function linear(x: Float64Array, w: ArrayLike<number>, M: number, N: number, K: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x[m * K + k] * w[n * K + k];
      y[m * N + n] = s;
    }
  }
  return y;
}

function rmsNorm(x: Float64Array, w: ArrayLike<number>, rows: number, n: number, eps: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < n; i++) ss += x[r * n + i] ** 2;
    const rstd = 1 / Math.sqrt(ss / n + eps);
    for (let i = 0; i < n; i++) y[r * n + i] = x[r * n + i] * rstd * w[i];
  }
  return y;
}

function rope(x: Float64Array, positions: Uint32Array, c: ModelConfig, nHeads: number): void {
  const invFreq = ropeInverseFrequencies({ nRot: c.nRot, freqBase: c.ropeFreqBase, freqScale: c.ropeFreqScale });
  const d = c.headDim;
  for (let t = 0; t < positions.length; t++) {
    for (let h = 0; h < nHeads; h++) {
      const base = (t * nHeads + h) * d;
      for (let i = 0; i < c.nRot / 2; i++) {
        const [a, b] = c.ropeMode === 'neox' ? [i, i + c.nRot / 2] : [2 * i, 2 * i + 1];
        const angle = positions[t] * invFreq[i];
        const [x0, x1] = [x[base + a], x[base + b]];
        x[base + a] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
        x[base + b] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
      }
    }
  }
}

/** Per-token loss (0 where masked) of a batch of `batch` rows of `seqLen` tokens. */
export function referenceTokenLosses(
  c: ModelConfig,
  w: ReferenceWeights,
  lora: ReferenceLora,
  input: BatchInputs,
  batch: number,
  seqLen: number,
): Float64Array {
  const T = batch * seqLen;
  const D = c.nEmbd;
  const get = (name: string) => {
    const t = w.tensors.get(name);
    if (!t) throw new Error(`reference model: no tensor ${name}`);
    return t;
  };
  const project = (l: number, p: Projection, x: Float64Array, N: number, K: number) => {
    const y = linear(x, get(`blk.${l}.${TENSOR[p]}.weight`), T, N, K);
    const slot = lora.slots.find((s) => s.layer === l && s.projection === p);
    if (slot) {
      const a = lora.values.subarray(slot.aOffset, slot.aOffset + lora.rank * K);
      const b = lora.values.subarray(slot.bOffset, slot.bOffset + N * lora.rank);
      const h = linear(lora.dropout ? dropped(x, lora.dropout, l, p) : x, a, T, lora.rank, K);
      const dy = linear(h, b, T, N, lora.rank);
      for (let i = 0; i < y.length; i++) y[i] += lora.scale * dy[i];
    }
    return y;
  };
  const emb = get('token_embd.weight');
  let x = new Float64Array(T * D);
  for (let t = 0; t < T; t++) for (let i = 0; i < D; i++) x[t * D + i] = emb[input.ids[t] * D + i];
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const group = c.nHeads / c.nKvHeads;
  for (let l = 0; l < c.nLayers; l++) {
    const xn = rmsNorm(x, get(`blk.${l}.attn_norm.weight`), T, D, c.rmsEps);
    const q = project(l, 'q', xn, qDim, D);
    const k = project(l, 'k', xn, kvDim, D);
    const v = project(l, 'v', xn, kvDim, D);
    for (const [name, y, n] of [
      ['q', q, qDim],
      ['k', k, kvDim],
      ['v', v, kvDim],
    ] as const) {
      const bias = w.tensors.get(`blk.${l}.${TENSOR[name]}.bias`);
      if (bias) for (let i = 0; i < y.length; i++) y[i] += bias[i % n];
    }
    rope(q, input.positions, c, c.nHeads);
    rope(k, input.positions, c, c.nKvHeads);
    const attn = new Float64Array(T * qDim);
    for (let r = 0; r < batch; r++) {
      for (let i = 0; i < seqLen; i++) {
        const ti = r * seqLen + i;
        for (let h = 0; h < c.nHeads; h++) {
          const kh = Math.floor(h / group);
          const scores: number[] = [];
          for (let j = input.segStart[ti]; j <= i; j++) {
            let s = 0;
            for (let e = 0; e < c.headDim; e++) s += q[ti * qDim + h * c.headDim + e] * k[(r * seqLen + j) * kvDim + kh * c.headDim + e];
            scores.push(s / Math.sqrt(c.headDim));
          }
          const max = Math.max(...scores);
          const p = scores.map((s) => Math.exp(s - max));
          const sum = p.reduce((a, b) => a + b, 0);
          p.forEach((pj, n) => {
            const j = input.segStart[ti] + n;
            for (let e = 0; e < c.headDim; e++)
              attn[ti * qDim + h * c.headDim + e] += (pj / sum) * v[(r * seqLen + j) * kvDim + kh * c.headDim + e];
          });
        }
      }
    }
    const o = project(l, 'o', attn, D, qDim);
    const x2 = x.map((xi, i) => xi + o[i]);
    const xn2 = rmsNorm(x2, get(`blk.${l}.ffn_norm.weight`), T, D, c.rmsEps);
    const gate = project(l, 'gate', xn2, c.nFf, D);
    const up = project(l, 'up', xn2, c.nFf, D);
    const hidden = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
    const down = project(l, 'down', hidden, D, c.nFf);
    x = x2.map((xi, i) => xi + down[i]);
  }
  const xf = rmsNorm(x, get('output_norm.weight'), T, D, c.rmsEps);
  const logits = linear(xf, w.tensors.get('output.weight') ?? emb, T, c.nVocab, D);
  const losses = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const label = input.labels[t];
    if (label < 0) continue;
    const row = logits.subarray(t * c.nVocab, (t + 1) * c.nVocab);
    const max = Math.max(...row);
    let sum = 0;
    for (const z of row) sum += Math.exp(z - max);
    losses[t] = max + Math.log(sum) - row[label];
  }
  return losses;
}

export function meanLoss(losses: Float64Array, labels: Int32Array): number {
  let sum = 0;
  let count = 0;
  labels.forEach((label, t) => {
    if (label >= 0) {
      sum += losses[t];
      count++;
    }
  });
  return sum / count;
}

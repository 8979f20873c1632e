import type { Gpu } from '../gpu/gpu';
import type { TrackedBuffer } from '../gpu/allocator';
import type { ModelConfig } from './config';
import { MATVEC_MAX_ROWS, matvecScratchBytes } from '../kernels/qmatmul';

/** Scratch buffers of one forward step over at most `maxTokens` tokens (f32 activations). */
export interface Activations {
  maxTokens: number;
  /** Token ids [T] u32 and their positions [T] u32. */
  ids: TrackedBuffer;
  positions: TrackedBuffer;
  /** Residual stream [T, nEmbd]. */
  x: TrackedBuffer;
  /** Normalised input of the current block [T, nEmbd], and its per-row 1/rms [T]. */
  xn: TrackedBuffer;
  rstd: TrackedBuffer;
  q: TrackedBuffer;
  k: TrackedBuffer;
  v: TrackedBuffer;
  /** Attention output [T, nHeads·headDim] and its log-sum-exp [nHeads, T]. */
  attn: TrackedBuffer;
  lse: TrackedBuffer;
  gate: TrackedBuffer;
  up: TrackedBuffer;
  /** silu(gate)·up [T, nFf]. */
  hidden: TrackedBuffer;
  /** Logits [logitRows, nVocab]. */
  logits: TrackedBuffer;
  logitRows: number;
  /** The matvec kernel's 8-bit activations of steps of up to MATVEC_MAX_ROWS rows, any projection's input width. */
  matvecScratch: TrackedBuffer;
  /**
   * The residual stream's rows in 8 bits, handed between products (src/model/quantizedHandoff.ts); without it every
   * product quantizes its own input.
   */
  quantizedResidual?: TrackedBuffer;
}

function matvecScratchSize(config: ModelConfig, maxTokens: number): number {
  const widest = Math.max(config.nEmbd, config.nHeads * config.headDim, config.nFf);
  return matvecScratchBytes(Math.min(maxTokens, MATVEC_MAX_ROWS), widest);
}

function quantizedResidualSize(config: ModelConfig, maxTokens: number): number {
  return matvecScratchBytes(Math.min(maxTokens, MATVEC_MAX_ROWS), config.nEmbd);
}

export function activationBytes(config: ModelConfig, maxTokens: number, logitRows: number): number {
  const { nEmbd, nHeads, nKvHeads, headDim, nFf, nVocab } = config;
  const floats = maxTokens * (2 + 2 * nEmbd + 1 + 2 * nHeads * headDim + 2 * nKvHeads * headDim + nHeads + 3 * nFf) + logitRows * nVocab;
  return floats * 4 + matvecScratchSize(config, maxTokens) + quantizedResidualSize(config, maxTokens);
}

export function allocateActivations(gpu: Gpu, config: ModelConfig, maxTokens: number, logitRows: number): Activations {
  const { nEmbd, nHeads, nKvHeads, headDim, nFf, nVocab } = config;
  const f32 = (label: string, count: number) => gpu.alloc(count * 4, { label, category: 'activations' });
  return {
    maxTokens,
    ids: f32('token ids', maxTokens),
    positions: f32('positions', maxTokens),
    x: f32('residual', maxTokens * nEmbd),
    xn: f32('normed', maxTokens * nEmbd),
    rstd: f32('rstd', maxTokens),
    q: f32('q', maxTokens * nHeads * headDim),
    k: f32('k', maxTokens * nKvHeads * headDim),
    v: f32('v', maxTokens * nKvHeads * headDim),
    attn: f32('attention out', maxTokens * nHeads * headDim),
    lse: f32('attention lse', maxTokens * nHeads),
    gate: f32('ffn gate', maxTokens * nFf),
    up: f32('ffn up', maxTokens * nFf),
    hidden: f32('ffn hidden', maxTokens * nFf),
    logits: gpu.alloc(logitRows * nVocab * 4, { label: 'logits', category: 'logits' }),
    logitRows,
    matvecScratch: gpu.alloc(matvecScratchSize(config, maxTokens), { label: 'matvec activations', category: 'activations' }),
    quantizedResidual: gpu.alloc(quantizedResidualSize(config, maxTokens), { label: 'quantized residual', category: 'activations' }),
  };
}

export function freeActivations(gpu: Gpu, a: Activations): void {
  for (const value of Object.values(a)) if (typeof value === 'object') gpu.buffers.free(value);
}

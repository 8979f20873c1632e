import { attentionDecodeScratchBytes, type AttentionDecodeShape } from '../kernels/attentionDecode';
import { MATVEC_MAX_ROWS } from '../kernels/qmatmul';
import type { KvLayout } from '../kernels/attention';
import type { ModelConfig } from './config';
import { activationBytes } from './activations';
import { batchKvCacheBytes, slotPositions } from './batchKvCache';
import type { StoredPrecision } from '../kernels/storedValues';

/**
 * Rows of one batched decode step: the matrix-vector kernel's limit (MATVEC_MAX_ROWS). Up to it every row's
 * projections sum exactly as a lone row's do (shaders/qmatvec.wgsl sums each activation row in one order, whatever
 * rows share its workgroup), and every other step of the forward pass treats rows independently, so a sequence
 * decoded in a batch gets the very tokens it gets alone. A larger batch runs several such steps per token.
 */
export const BATCH_STEP_ROWS = MATVEC_MAX_ROWS;

/** Rows of each step of a `slots`-sequence batch. */
export function batchStepRows(slots: number): number {
  return Math.min(slots, BATCH_STEP_ROWS);
}

/**
 * The decode attention's shape over `rows` slots of a batch cache at its largest: kvLen is the slot's positions (the
 * split-K scratch is sized by it). A step runs it with kvLen the longest live sequence and the slot stride given
 * apart (`batchKvLayout`), so its chunks cover only what the sequences hold.
 */
export function batchDecodeShape(config: ModelConfig, rows: number, maxCtx: number, precision: StoredPrecision): AttentionDecodeShape {
  const kvLen = slotPositions(config, maxCtx, precision);
  return { batch: rows, kvLen, nHeads: config.nHeads, nKvHeads: config.nKvHeads, headDim: config.headDim };
}

/** The batch cache's K/V layout for the decode attention: token-major slots of slotPositions positions each. */
export function batchKvLayout(config: ModelConfig, maxCtx: number, precision: StoredPrecision): KvLayout {
  return { kind: 'tokens', batchStride: slotPositions(config, maxCtx, precision) * config.nKvHeads * config.headDim };
}

/**
 * GPU bytes a `slots`-sequence batch decoder (batchDecode.ts) adds to the model: its KV cache; and the activations
 * of one step, its split-K scratch, per-row lengths, KV store positions, sampling inputs and sampled ids, and every
 * slot's sampled id.
 * An adapter's per-row scratch (rows × rank floats) comes on top, as the model's own does.
 */
export function batchDecodeBytes(
  config: ModelConfig,
  maxCtx: number,
  slots: number,
  precision: StoredPrecision,
): { kvCache: number; activations: number } {
  const rows = batchStepRows(slots);
  const scratch = attentionDecodeScratchBytes(batchDecodeShape(config, rows, maxCtx, precision));
  return {
    kvCache: batchKvCacheBytes(config, maxCtx, slots, precision),
    activations: activationBytes(config, rows, rows) + scratch + 4 * rows * 4 + slots * 4,
  };
}

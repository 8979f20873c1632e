import type { Binding, Recorder } from '../gpu/recorder';
import { uniformLayout } from '../gpu/uniforms';
import { LabError } from '../errors';
import { flatWorkgroups } from './flatGrid';

const WG = 64;
/** Values per quantization block (one scale each). */
export const ACTIVATION_BLOCK = 32;

export const QUANTIZE_ACTIVATIONS_PARAMS = uniformLayout('quantize_activations', { M: 'u32', K: 'u32' });

/** 32-bit words per activation row of K values in shaders/quantize_activations.wgsl's layout (7·K/8, K % 32 == 0). */
export function quantizedActivationWords(K: number): number {
  return Math.ceil((28 * K) / ACTIVATION_BLOCK);
}

/**
 * Word offsets of the sections of a K-value row in that layout (shaders/quantized_rows.wgsl): pair words from 0,
 * then packed bytes, block scales, sums of 16 and the blocks' Σ x².
 */
export function quantizedActivationSections(K: number): { packed: number; scales: number; sums: number; squares: number } {
  return { packed: K / 2, scales: (3 * K) / 4, sums: (3 * K) / 4 + K / 32, squares: (3 * K) / 4 + (3 * K) / 32 };
}

/** Bytes of M quantized activation rows of K values. */
export function quantizedActivationBytes(M: number, K: number): number {
  return 4 * M * quantizedActivationWords(K);
}

/**
 * Records XQ = X [M, K] as 8-bit integers per 32-value block (shaders/quantize_activations.wgsl), the operand of the
 * matvec kernel's integer dot products; with `normWeight` [K] f32, of X·normWeight (its RMSNorm prologue).
 */
export function quantizeActivations(
  rec: Recorder,
  x: Binding,
  xq: Binding,
  shape: { M: number; K: number },
  options: { normWeight?: Binding; label: string },
): void {
  const { M, K } = shape;
  if (K % ACTIVATION_BLOCK !== 0) {
    throw new LabError(
      `quantizing activations: rows of ${K} values`,
      options.label,
      `rows must be a whole number of ${ACTIVATION_BLOCK}-value blocks`,
    );
  }
  rec.dispatch(
    { shader: 'quantize_activations', constants: { WG, NORM: options.normWeight ? 1 : 0 } },
    [x, options.normWeight ?? x, xq],
    flatWorkgroups(rec, (M * K) / ACTIVATION_BLOCK, WG),
    QUANTIZE_ACTIVATIONS_PARAMS.pack({ M, K }),
  );
}

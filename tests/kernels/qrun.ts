import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import { freeQuantizedWeight, type QuantFormat } from '../../src/kernels/quantWeight';
import {
  quantizedMatmul,
  quantizedMatmulBackward,
  type BackwardKernel,
  type ForwardKernel,
  type MatvecDot,
  type MatvecUnpack,
  matvecScratchBytes,
} from '../../src/kernels/qmatmul';
import { dequantizeActivations, quantizeActivationsReference } from '../../src/kernels/reference/quantizeActivations';
import { quantizedMatmulBackwardReference, quantizedMatmulReference } from '../../src/kernels/reference/qmatmul';
import { identity, testWeight, transpose } from './qfixtures';

/** Runs Y = X·Wᵀ (+ Y0) with the chosen forward kernel; returns the GPU result and the reference. */
export async function runForward(
  format: QuantFormat,
  kernel: ForwardKernel,
  shape: { M: number; N: number; K: number },
  seed: number,
  options: {
    accumulate?: boolean;
    identityX?: boolean;
    maxBindingBytes?: number;
    matvecThreads?: number;
    matvecSplitK?: boolean;
    matvecUnpack?: MatvecUnpack;
    /** An 8-bit dot product: the reference multiplies the activations as that path quantizes them. */
    matvecDot?: MatvecDot;
  } = {},
): Promise<{ got: Float32Array; want: Float32Array }> {
  const gpu = await testGpu();
  const { M, N, K } = shape;
  const { weight, decoded } = testWeight(gpu, format, N, K, seed, options.maxBindingBytes);
  const x = options.identityX ? identity(K) : randomF32(M * K, seed + 1);
  const y0 = randomF32(M * N, seed + 2);
  const bufX = gpu.upload(x, { label: 'X' });
  const bufY = gpu.upload(y0, { label: 'Y' });
  const { accumulate, matvecThreads, matvecSplitK, matvecUnpack, matvecDot } = options;
  const integerDot = matvecDot !== undefined && matvecDot !== 'f32';
  const activationScratch = integerDot ? gpu.alloc(matvecScratchBytes(M, K), { label: 'XQ' }) : undefined;
  const rec = gpu.recorder();
  quantizedMatmul(rec, bufX, weight, bufY, {
    M,
    accumulate,
    kernel,
    matvecThreads,
    matvecSplitK,
    matvecUnpack,
    matvecDot,
    activationScratch,
  });
  rec.submit();
  const got = await gpu.readF32(bufY, M * N);
  for (const b of [bufX, bufY, activationScratch]) if (b) gpu.buffers.free(b);
  freeQuantizedWeight(gpu, weight);
  const want = options.identityX
    ? transpose(decoded, N, K)
    : quantizedMatmulReference(
        integerDot ? dequantizeActivations(quantizeActivationsReference(x, M, K)) : x,
        decoded,
        M,
        N,
        K,
        options.accumulate ? y0 : undefined,
      );
  return { got, want };
}

/** Runs dX = dY·W (+ dX0) with the chosen kernel (by default the adapter's); returns the GPU result and the reference. */
export async function runBackward(
  format: QuantFormat,
  shape: { M: number; N: number; K: number },
  seed: number,
  options: { accumulate?: boolean; identityDy?: boolean; maxBindingBytes?: number; kernel?: BackwardKernel } = {},
): Promise<{ got: Float32Array; want: Float32Array }> {
  const gpu = await testGpu();
  const { M, N, K } = shape;
  const { weight, decoded } = testWeight(gpu, format, N, K, seed, options.maxBindingBytes);
  const dy = options.identityDy ? identity(N) : randomF32(M * N, seed + 1);
  const dx0 = randomF32(M * K, seed + 2);
  const bufDy = gpu.upload(dy, { label: 'dY' });
  const bufDx = gpu.upload(dx0, { label: 'dX' });
  const rec = gpu.recorder();
  quantizedMatmulBackward(rec, bufDy, weight, bufDx, { M, accumulate: options.accumulate, kernel: options.kernel });
  rec.submit();
  const got = await gpu.readF32(bufDx, M * K);
  gpu.buffers.free(bufDy);
  gpu.buffers.free(bufDx);
  freeQuantizedWeight(gpu, weight);
  const want = options.identityDy ? decoded : quantizedMatmulBackwardReference(dy, decoded, M, N, K, options.accumulate ? dx0 : undefined);
  return { got, want };
}

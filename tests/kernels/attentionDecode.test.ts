import { describe, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { expectAllClose } from './compare';
import { atPrecision, randomAttentionInputs, readActivations, runAttentionForward, toCacheLayout, uploadActivations } from './attentionCases';
import { attentionDecode, attentionDecodeScratchBytes, type AttentionDecodeShape } from '../../src/kernels/attentionDecode';
import { attentionReference } from '../../src/kernels/reference/attention';
import type { ActivationPrecision } from '../../src/gpu/shaderLibrary';

// The decode kernel and the forward kernel sum the same terms in a different order (128-key chunks merged at the
// end, versus 16-key tiles); outputs are convex combinations of values in [-1, 1], so f32 differences stay ~1e-6.
const F32_TOLERANCE = { atol: 2e-5, rtol: 1e-5 };
const F16_TOLERANCE = { atol: 2e-3, rtol: 2e-3 };

/**
 * Runs the forward over all kvLen tokens (token-major K/V), then decodes the last token against the same keys in
 * the cache layout, and checks decode = the forward's last row = the f64 reference's last row.
 */
async function expectDecodeMatchesForwardLastRow(shape: AttentionDecodeShape, seed: number, precision: ActivationPrecision = 'f32'): Promise<void> {
  const gpu = await testGpu();
  const batch = shape.batch ?? 1;
  const { kvLen, nHeads, headDim } = shape;
  const full = { ...shape, qLen: kvLen };
  const raw = randomAttentionInputs(full, seed);
  const x = { q: atPrecision(raw.q, precision), k: atPrecision(raw.k, precision), v: atPrecision(raw.v, precision) };
  const forward = await runAttentionForward(gpu, x, full, { precision });

  const rowWidth = nHeads * headDim;
  const lastRows = (a: Float32Array) => {
    const out = new Float32Array(batch * rowWidth);
    for (let b = 0; b < batch; b++) out.set(a.subarray((b * kvLen + kvLen - 1) * rowWidth, (b * kvLen + kvLen) * rowWidth), b * rowWidth);
    return out;
  };
  const qLast = lastRows(x.q);
  const maxCtx = kvLen + 37;
  const q = uploadActivations(gpu, qLast, precision, 'q');
  const k = uploadActivations(gpu, atPrecision(toCacheLayout(x.k, full, maxCtx, seed + 7), precision), precision, 'K cache');
  const v = uploadActivations(gpu, atPrecision(toCacheLayout(x.v, full, maxCtx, seed + 8), precision), precision, 'V cache');
  const partials = gpu.alloc(attentionDecodeScratchBytes(shape), { label: 'partials' });
  const out = gpu.alloc(batch * rowWidth * 4, { label: 'O' });
  const rec = gpu.recorder();
  attentionDecode(rec, { q, k, v, partials, out }, shape, { kvLayout: { kind: 'cache', maxCtx }, precision });
  rec.submit();
  const got = await readActivations(gpu, out, batch * rowWidth, precision);
  for (const t of [q, k, v, partials, out]) gpu.buffers.free(t);

  const context = `seed ${seed}, ${JSON.stringify(shape)} ${precision}`;
  const tolerance = precision === 'f32' ? F32_TOLERANCE : F16_TOLERANCE;
  expectAllClose(got, lastRows(forward.out), tolerance, `decode vs forward's last row, ${context}`);
  const reference = attentionReference({ q: qLast, k: x.k, v: x.v }, { ...shape, qLen: 1 });
  expectAllClose(got, reference.out, tolerance, `decode vs reference, ${context}`);
}

describe('attention decode (one new token against the KV cache)', () => {
  it('equals the forward pass on a one-token cache', async () => {
    await expectDecodeMatchesForwardLastRow({ kvLen: 1, nHeads: 4, nKvHeads: 2, headDim: 64 }, 51);
  });

  it("equals the forward's last row across several 128-key chunks, batched, GQA 4, head dim 128", async () => {
    await expectDecodeMatchesForwardLastRow({ batch: 2, kvLen: 260, nHeads: 4, nKvHeads: 1, headDim: 128 }, 52);
  });

  it('reads only the last `window` positions with a sliding window', async () => {
    await expectDecodeMatchesForwardLastRow({ kvLen: 700, nHeads: 2, nKvHeads: 1, headDim: 64, window: 200 }, 53);
  });

  it('handles head dim 8 (stories260K)', async () => {
    await expectDecodeMatchesForwardLastRow({ kvLen: 150, nHeads: 8, nKvHeads: 4, headDim: 8 }, 54);
  });

  it('stores f16 activations where the adapter has shader-f16', async () => {
    const gpu = await testGpu();
    const precisions: ActivationPrecision[] = gpu.features.f16 ? ['f32', 'f16'] : ['f32'];
    for (const precision of precisions) await expectDecodeMatchesForwardLastRow({ kvLen: 90, nHeads: 4, nKvHeads: 2, headDim: 64 }, 55, precision);
  });
});

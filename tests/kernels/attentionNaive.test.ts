import { describe, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { expectAllClose } from './compare';
import { naiveAttentionBackward, naiveAttentionForward } from '../../src/kernels/attentionNaive';
import { attentionBackwardReference, attentionReference } from '../../src/kernels/reference/attention';
import { randomF32 } from '../../src/util/random';

// The baseline's head-major [heads, seq, d] is the reference's [batch, seq, nHeads, d] with batch = heads and one
// head per batch entry, so the reference runs with batch = heads, nHeads = nKvHeads = 1.
describe('naive attention (benchmark baseline: materialised scores)', () => {
  it('matches the reference forward and backward', async () => {
    const gpu = await testGpu();
    const shape = { heads: 3, seq: 37, headDim: 16 };
    const seed = 61;
    const n = shape.heads * shape.seq * shape.headDim;
    const x = { q: randomF32(n, seed, 3), k: randomF32(n, seed + 1), v: randomF32(n, seed + 2) };
    const dOutValues = randomF32(n, seed + 3);
    const [q, k, v, dOut] = [x.q, x.k, x.v, dOutValues].map((a) => gpu.upload(a, { label: 'input' }));
    const scoresBytes = shape.heads * shape.seq * shape.seq * 4;
    const probs = gpu.alloc(scoresBytes, { label: 'P' });
    const dScores = gpu.alloc(scoresBytes, { label: 'dS' });
    const [out, dq, dk, dv] = [0, 1, 2, 3].map(() => gpu.alloc(n * 4, { label: 'output' }));
    const rec = gpu.recorder();
    naiveAttentionForward(rec, { q, k, v, probs, out }, shape);
    naiveAttentionBackward(rec, { q, k, v, probs, dOut, dScores, dq, dk, dv }, shape);
    rec.submit();

    const refShape = { batch: shape.heads, qLen: shape.seq, nHeads: 1, nKvHeads: 1, headDim: shape.headDim };
    const want = attentionReference(x, refShape);
    const wantGrad = attentionBackwardReference(x, dOutValues, refShape);
    const context = `seed ${seed}`;
    // Same f32 bounds as the flash kernels' tests: convex combinations of O(1) values, sums of ~40 products.
    expectAllClose(await gpu.readF32(out, n), want.out, { atol: 2e-5, rtol: 1e-5 }, `O, ${context}`);
    expectAllClose(await gpu.readF32(dq, n), wantGrad.dq, { atol: 1e-4, rtol: 1e-4 }, `dQ, ${context}`);
    expectAllClose(await gpu.readF32(dk, n), wantGrad.dk, { atol: 1e-4, rtol: 1e-4 }, `dK, ${context}`);
    expectAllClose(await gpu.readF32(dv, n), wantGrad.dv, { atol: 1e-4, rtol: 1e-4 }, `dV, ${context}`);
    for (const t of [q, k, v, dOut, probs, dScores, out, dq, dk, dv]) gpu.buffers.free(t);
  });
});

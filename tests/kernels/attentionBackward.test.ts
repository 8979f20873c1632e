import { describe, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { expectAllClose } from './compare';
import { expectGradientMatchesFiniteDifferences, weightedSum } from './gradcheck';
import { randomAttentionInputs, runAttentionForward } from './attentionCases';
import { attentionBackward } from '../../src/kernels/attentionBackward';
import { attentionBackwardReference, attentionReference } from '../../src/kernels/reference/attention';
import { packedSegmentStarts, resolveAttentionShape, type AttentionShape } from '../../src/kernels/attentionShape';
import type { AttentionTilingKind } from '../../src/kernels/attentionTiling';
import type { Gpu } from '../../src/gpu/gpu';
import { randomF32 } from '../../src/util/random';

type Inputs = { q: Float32Array; k: Float32Array; v: Float32Array; segStart?: Uint32Array };

/**
 * The backward kernels on given forward results (O, LSE); returns dQ, dK, dV. The analytic tests take O and LSE from
 * the f64 reference (sparing SwiftShader the forward pipelines' compile time); the finite-difference tests from the
 * forward kernel.
 */
async function runBackward(
  gpu: Gpu,
  x: Inputs,
  fwd: { out: Float32Array; lse: Float32Array },
  dOut: Float32Array,
  shape: AttentionShape,
  tiling?: AttentionTilingKind,
) {
  const s = resolveAttentionShape(shape, 'runBackward');
  const q = gpu.upload(x.q, { label: 'Q' });
  const k = gpu.upload(x.k, { label: 'K' });
  const v = gpu.upload(x.v, { label: 'V' });
  const out = gpu.upload(fwd.out, { label: 'O' });
  const lse = gpu.upload(fwd.lse, { label: 'LSE' });
  const dOutBuffer = gpu.upload(dOut, { label: 'dO' });
  const segStart = x.segStart ? gpu.upload(x.segStart, { label: 'segStart' }) : undefined;
  const rowDot = gpu.alloc(fwd.lse.length * 4, { label: 'D' });
  const dq = gpu.alloc(x.q.length * 4, { label: 'dQ' });
  const dk = gpu.alloc(x.k.length * 4, { label: 'dK' });
  const dv = gpu.alloc(x.v.length * 4, { label: 'dV' });
  const rec = gpu.recorder();
  attentionBackward(rec, { q, k, v, out, lse, segStart, dOut: dOutBuffer, rowDot, dq, dk, dv }, s, { tiling });
  rec.submit();
  const result = { dq: await gpu.readF32(dq, x.q.length), dk: await gpu.readF32(dk, x.k.length), dv: await gpu.readF32(dv, x.v.length) };
  for (const t of [q, k, v, out, lse, dOutBuffer, segStart, rowDot, dq, dk, dv]) if (t) gpu.buffers.free(t);
  return result;
}

// Gradients are sums of at most a few hundred f32 products of O(1) terms per element; 1e-4 absolute plus 1e-4
// relative covers f32 rounding with margin, while a wrong mask or a missed head in the GQA sum is off by O(0.1).
const F32_TOLERANCE = { atol: 1e-4, rtol: 1e-4 };

async function expectBackwardMatchesReference(
  shape: AttentionShape,
  seed: number,
  extra: { segStart?: Uint32Array; tiling?: AttentionTilingKind } = {},
): Promise<void> {
  const gpu = await testGpu();
  const x = { ...randomAttentionInputs(shape, seed), segStart: extra.segStart };
  const dOut = randomF32(x.q.length, seed + 3);
  const forward = attentionReference(x, shape);
  const got = await runBackward(gpu, x, { out: forward.out, lse: forward.lse }, dOut, shape, extra.tiling);
  const want = attentionBackwardReference(x, dOut, shape);
  const context = `seed ${seed}, ${JSON.stringify(shape)} ${extra.tiling ?? 'adapter'} tiling`;
  const tolerance = F32_TOLERANCE;
  expectAllClose(got.dq, want.dq, tolerance, `dQ, ${context}`);
  expectAllClose(got.dk, want.dk, tolerance, `dK, ${context}`);
  expectAllClose(got.dv, want.dv, tolerance, `dV, ${context}`);
}

describe('attention backward against the analytic reference', () => {
  for (const seqLen of [1, 7, 33, 100]) {
    it(`matches for seq ${seqLen}, 4 query heads on 2 KV heads, head dim 64`, async () => {
      await expectBackwardMatchesReference({ qLen: seqLen, nHeads: 4, nKvHeads: 2, headDim: 64 }, 2000 + seqLen);
    });
  }

  it('sums dK and dV over four query heads per KV head, and handles GQA ratio 1', async () => {
    await expectBackwardMatchesReference({ qLen: 45, nHeads: 8, nKvHeads: 2, headDim: 64 }, 31);
    await expectBackwardMatchesReference({ qLen: 20, nHeads: 2, nKvHeads: 2, headDim: 64 }, 32);
  });

  it('matches at head dim 128 and head dim 8', async () => {
    await expectBackwardMatchesReference({ qLen: 40, nHeads: 2, nKvHeads: 1, headDim: 128 }, 33);
    await expectBackwardMatchesReference({ qLen: 70, nHeads: 8, nKvHeads: 4, headDim: 8 }, 34);
  });

  it('matches at head dim 36 (two threads per row in the CPU tiling, 18 dims each)', async () => {
    await expectBackwardMatchesReference({ qLen: 21, nHeads: 2, nKvHeads: 1, headDim: 36 }, 39);
  });

  // The wrapper picks the workgroup shapes by adapter kind (attentionTiling.ts); the tests above run the adapter's,
  // these force each. GPU: 64 query rows of 4 threads for dQ and 256 threads of 8 (or 4) per key row for dK/dV; CPU:
  // 4 rows of 1, 2 or 4 threads by head dim (fewer threads than the 8-query tile of dK/dV at head dims up to 64).
  for (const tiling of ['gpu', 'cpu'] as const) {
    it(`${tiling} tiling: matches at head dims 8, 12 and 128, across row blocks, with packing and a window`, async () => {
      await expectBackwardMatchesReference({ qLen: 70, nHeads: 8, nKvHeads: 4, headDim: 8 }, 44, { tiling });
      await expectBackwardMatchesReference({ qLen: 11, nHeads: 2, nKvHeads: 2, headDim: 12 }, 45, { tiling });
      await expectBackwardMatchesReference({ qLen: 9, nHeads: 2, nKvHeads: 1, headDim: 128 }, 46, { tiling });
      const segStart = new Uint32Array([...packedSegmentStarts([10, 1, 40, 19]), ...packedSegmentStarts([35, 35])]);
      await expectBackwardMatchesReference({ batch: 2, qLen: 70, nHeads: 4, nKvHeads: 2, headDim: 64, window: 30 }, 47, {
        segStart,
        tiling,
      });
    }, 180_000); // the GPU shapes' 256-thread pipelines take seconds each to compile on SwiftShader
  }

  it('matches with a sliding window', async () => {
    await expectBackwardMatchesReference({ qLen: 100, nHeads: 4, nKvHeads: 2, headDim: 64, window: 21 }, 35);
  });

  it('keeps gradients inside packed sequences, over a batch, with a window on top', async () => {
    const segStart = new Uint32Array([...packedSegmentStarts([10, 1, 40, 19]), ...packedSegmentStarts([35, 35])]);
    await expectBackwardMatchesReference({ batch: 2, qLen: 70, nHeads: 4, nKvHeads: 2, headDim: 64, window: 30 }, 36, { segStart });
  });

  it('matches when the queries are the last positions of a longer key range', async () => {
    await expectBackwardMatchesReference({ qLen: 13, kvLen: 50, nHeads: 4, nKvHeads: 2, headDim: 64 }, 37);
  });
});

describe('attention backward against finite differences of the forward kernel', () => {
  // Loss Σ w∘O with fixed random w, so dO = w; each probe perturbs one input along a random direction. The peaked
  // softmax rows (Q is scaled ×3) make the central difference's O(ε²) truncation error reach ~2e-3 relative at
  // ε = 1e-2 even in f64 (checked against the reference); ε = 3e-3 brings it under 1e-4 while f32 rounding of the
  // forward stays far below the 1e-3 bound.
  const cases: { name: string; shape: AttentionShape; segStart?: Uint32Array; seed: number }[] = [
    { name: 'GQA 2, head dim 64', shape: { qLen: 33, nHeads: 4, nKvHeads: 2, headDim: 64 }, seed: 41 },
    {
      name: 'GQA 4, sliding window and packed sequences',
      shape: { qLen: 40, nHeads: 4, nKvHeads: 1, headDim: 64, window: 9 },
      segStart: packedSegmentStarts([12, 3, 25]),
      seed: 42,
    },
  ];
  for (const c of cases) {
    for (const input of ['q', 'k', 'v'] as const) {
      it(`d${input.toUpperCase()} agrees for ${c.name}`, async () => {
        const gpu = await testGpu();
        const x: Inputs = { ...randomAttentionInputs(c.shape, c.seed), segStart: c.segStart };
        const w = randomF32(x.q.length, c.seed + 3);
        const grads = await runBackward(gpu, x, await runAttentionForward(gpu, x, c.shape), w, c.shape);
        const grad = { q: grads.dq, k: grads.dk, v: grads.dv }[input];
        await expectGradientMatchesFiniteDifferences({
          x: x[input],
          grad,
          seed: c.seed,
          context: `d${input} for ${c.name}`,
          eps: 3e-3,
          loss: async (perturbed) => weightedSum((await runAttentionForward(gpu, { ...x, [input]: perturbed }, c.shape)).out, w),
        });
      });
    }
  }
});

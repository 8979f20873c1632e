import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { expectAllClose } from './compare';
import { expectBitExact } from './qfixtures';
import { randomAttentionInputs, runAttentionForward, toCacheLayout } from './attentionCases';
import { readActivation, roundToActivation, uploadActivation } from './activations';
import { attentionDecode, attentionDecodeScratchBytes, type AttentionDecodeShape } from '../../src/kernels/attentionDecode';
import { attentionReference } from '../../src/kernels/reference/attention';
import { packedSegmentStarts, resolveAttentionShape, type AttentionShape } from '../../src/kernels/attentionShape';
import { checkHeadDim, kvStrides } from '../../src/kernels/attention';
import type { AttentionTilingKind } from '../../src/kernels/attentionTiling';
import { LabError } from '../../src/errors';
import type { ActivationPrecision } from '../../src/gpu/shaderLibrary';
import { seededRandom } from '../../src/util/random';

// f32: every output is a convex combination of V values in [-1, 1] and the only rounding is f32 exp/fma over at most
// a few hundred terms (≈1e-6); 2e-5 leaves margin while a masking or indexing mistake moves outputs by ~1e-1.
const F32_TOLERANCE = { atol: 2e-5, rtol: 1e-5 };
// f16 storage: inputs are rounded before the reference sees them, so what remains is the f16 rounding of O (2^-11
// relative) and f32 accumulation.
const F16_TOLERANCE = { atol: 2e-3, rtol: 2e-3 };

async function expectForwardMatchesReference(
  shape: AttentionShape,
  seed: number,
  extra: { segStart?: Uint32Array; precision?: ActivationPrecision; tiling?: AttentionTilingKind } = {},
): Promise<void> {
  const gpu = await testGpu();
  const precision = extra.precision ?? 'f32';
  const x = { ...randomAttentionInputs(shape, seed, precision), segStart: extra.segStart };
  const got = await runAttentionForward(gpu, x, shape, { precision, tiling: extra.tiling });
  const want = attentionReference(x, shape);
  const context = `seed ${seed}, ${JSON.stringify(shape)} ${precision} ${extra.tiling ?? 'adapter'} tiling`;
  const tolerance = precision === 'f32' ? F32_TOLERANCE : F16_TOLERANCE;
  expectAllClose(got.out, want.out, tolerance, `O, ${context}`);
  expectAllClose(got.lse, want.lse, F32_TOLERANCE, `LSE, ${context}`);
}

describe('flash attention forward', () => {
  // Sequence lengths straddle the 64-row query block and the 16-key tile.
  for (const seqLen of [1, 7, 33, 100]) {
    it(`matches the explicit softmax for seq ${seqLen}, 4 query heads on 2 KV heads, head dim 64`, async () => {
      await expectForwardMatchesReference({ qLen: seqLen, nHeads: 4, nKvHeads: 2, headDim: 64 }, 1000 + seqLen);
    });
  }

  it('matches with one query head per KV head (GQA ratio 1)', async () => {
    await expectForwardMatchesReference({ qLen: 33, nHeads: 3, nKvHeads: 3, headDim: 64 }, 11);
  });

  it('matches with four query heads per KV head (GQA ratio 4)', async () => {
    await expectForwardMatchesReference({ qLen: 70, nHeads: 8, nKvHeads: 2, headDim: 64 }, 12);
  });

  it('matches at head dim 128 (Llama, Mistral)', async () => {
    await expectForwardMatchesReference({ qLen: 65, nHeads: 4, nKvHeads: 1, headDim: 128 }, 13);
  });

  it('matches at head dim 8 (stories260K: 8 heads on 4 KV heads)', async () => {
    await expectForwardMatchesReference({ qLen: 100, nHeads: 8, nKvHeads: 4, headDim: 8 }, 14);
  });

  it('matches at head dim 36 (two threads per row in the CPU tiling, 18 dims each)', async () => {
    await expectForwardMatchesReference({ qLen: 21, nHeads: 2, nKvHeads: 1, headDim: 36 }, 23);
  });

  // The wrapper picks the workgroup shape by adapter kind (attentionTiling.ts); the tests above run the adapter's,
  // these force each. GPU tiling: 64 query rows of 4 threads; CPU: 4 rows of 1, 2 or 4 threads by head dim.
  for (const tiling of ['gpu', 'cpu'] as const) {
    it(`${tiling} tiling: matches at head dims 8, 64 and 128, across query blocks, with packing and a window`, async () => {
      await expectForwardMatchesReference({ qLen: 70, nHeads: 8, nKvHeads: 4, headDim: 8 }, 24, { tiling });
      await expectForwardMatchesReference({ qLen: 9, nHeads: 2, nKvHeads: 1, headDim: 128 }, 25, { tiling });
      const segStart = packedSegmentStarts([10, 1, 30, 25, 34]);
      await expectForwardMatchesReference({ qLen: 100, nHeads: 4, nKvHeads: 2, headDim: 64, window: 12 }, 26, { segStart, tiling });
    }, 120_000); // the GPU shapes' 256-thread pipelines take seconds each to compile on SwiftShader
  }

  it('limits each token to the last `window` positions (sliding window)', async () => {
    await expectForwardMatchesReference({ qLen: 100, nHeads: 2, nKvHeads: 1, headDim: 64, window: 19 }, 15);
    await expectForwardMatchesReference({ qLen: 33, nHeads: 2, nKvHeads: 2, headDim: 64, window: 1 }, 16);
  });

  it('keeps packed sequences apart (segment starts), with a window on top', async () => {
    const segStart = packedSegmentStarts([10, 1, 30, 25, 34]);
    await expectForwardMatchesReference({ qLen: 100, nHeads: 4, nKvHeads: 2, headDim: 64 }, 17, { segStart });
    await expectForwardMatchesReference({ qLen: 100, nHeads: 4, nKvHeads: 2, headDim: 64, window: 12 }, 18, { segStart });
  });

  it('runs a batch of independently packed rows', async () => {
    const segStart = new Uint32Array([...packedSegmentStarts([20, 13]), ...packedSegmentStarts([5, 5, 23])]);
    await expectForwardMatchesReference({ batch: 2, qLen: 33, nHeads: 4, nKvHeads: 2, headDim: 64 }, 19, { segStart });
  });

  it('attends the last qLen queries to a longer KV cache (chunked prefill) in cache layout', async () => {
    const gpu = await testGpu();
    const shape = { batch: 2, qLen: 9, kvLen: 75, nHeads: 4, nKvHeads: 2, headDim: 64, window: 40 };
    const seed = 20;
    const x = randomAttentionInputs(shape, seed);
    const maxCtx = 96;
    const cached = { q: x.q, k: toCacheLayout(x.k, shape, maxCtx, seed + 5), v: toCacheLayout(x.v, shape, maxCtx, seed + 6) };
    const got = await runAttentionForward(gpu, cached, shape, { kvLayout: { kind: 'cache', maxCtx } });
    const want = attentionReference(x, shape);
    expectAllClose(got.out, want.out, F32_TOLERANCE, `O, seed ${seed}`);
    expectAllClose(got.lse, want.lse, F32_TOLERANCE, `LSE, seed ${seed}`);
  });

  it('stores f16 activations with f32 accumulation where the adapter has shader-f16', async () => {
    const gpu = await testGpu();
    const precisions: ActivationPrecision[] = gpu.features.f16 ? ['f32', 'f16'] : ['f32'];
    for (const precision of precisions) {
      await expectForwardMatchesReference({ qLen: 40, nHeads: 4, nKvHeads: 2, headDim: 64 }, 21, { precision });
    }
  });

  it('gives every token of a random packing the same output as running its sequence alone', async () => {
    const seed = 22;
    const next = seededRandom(seed);
    const lengths: number[] = [];
    for (let left = 50; left > 0;) {
      const n = Math.min(left, 1 + Math.floor(next() * 20));
      lengths.push(n);
      left -= n;
    }
    const shape = { qLen: 50, nHeads: 2, nKvHeads: 1, headDim: 64 };
    const gpu = await testGpu();
    const x = randomAttentionInputs(shape, seed);
    const packed = await runAttentionForward(gpu, { ...x, segStart: packedSegmentStarts(lengths) }, shape);
    let start = 0;
    for (const n of lengths) {
      const rows = (a: Float32Array, width: number) => a.slice(start * width, (start + n) * width);
      const alone = await runAttentionForward(gpu, { q: rows(x.q, 128), k: rows(x.k, 64), v: rows(x.v, 64) }, { ...shape, qLen: n });
      expectAllClose(rows(packed.out, 128), alone.out, F32_TOLERANCE, `sequence at ${start} of lengths ${lengths} (seed ${seed})`);
      start += n;
    }
    expect(start).toBe(50);
  });
});

// Decode uses the forward's tolerances: both kernels sum the same terms, in a different order (128-key chunks merged
// at the end versus 16-key tiles), and outputs are convex combinations of values in [-1, 1].

/**
 * Runs the forward over all kvLen tokens (token-major K/V), then decodes the last token against the same keys in
 * the cache layout, and checks decode = the forward's last row = the f64 reference's last row.
 */
async function expectDecodeMatchesForwardLastRow(
  shape: AttentionDecodeShape,
  seed: number,
  precision: ActivationPrecision = 'f32',
  threads?: number,
): Promise<void> {
  const gpu = await testGpu();
  const batch = shape.batch ?? 1;
  const { kvLen, nHeads, headDim } = shape;
  const full = { ...shape, qLen: kvLen };
  const x = randomAttentionInputs(full, seed, precision);
  const forward = await runAttentionForward(gpu, x, full, { precision });

  const rowWidth = nHeads * headDim;
  const lastRows = (a: Float32Array) => {
    const out = new Float32Array(batch * rowWidth);
    for (let b = 0; b < batch; b++) out.set(a.subarray((b * kvLen + kvLen - 1) * rowWidth, (b * kvLen + kvLen) * rowWidth), b * rowWidth);
    return out;
  };
  const qLast = lastRows(x.q);
  const maxCtx = kvLen + 37;
  const q = uploadActivation(gpu, qLast, precision, 'q');
  const k = uploadActivation(gpu, roundToActivation(toCacheLayout(x.k, full, maxCtx, seed + 7), precision), precision, 'K cache');
  const v = uploadActivation(gpu, roundToActivation(toCacheLayout(x.v, full, maxCtx, seed + 8), precision), precision, 'V cache');
  const partials = gpu.alloc(attentionDecodeScratchBytes(shape), { label: 'partials' });
  const out = gpu.alloc(batch * rowWidth * 4, { label: 'O' });
  const rec = gpu.recorder();
  attentionDecode(rec, { q, k, v, partials, out }, shape, { kvLayout: { kind: 'cache', maxCtx }, precision, threads });
  rec.submit();
  const got = await readActivation(gpu, out, batch * rowWidth, precision);
  for (const t of [q, k, v, partials, out]) gpu.buffers.free(t);

  const context = `seed ${seed}, ${JSON.stringify(shape)} ${precision}${threads ? `, ${threads} threads` : ''}`;
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

  it('decodes a batch whose sequences have different cache lengths, with a window', async () => {
    const gpu = await testGpu();
    const seed = 56;
    const lengths = [260, 1, 129];
    const shape = { batch: 3, kvLen: 260, nHeads: 4, nKvHeads: 2, headDim: 64, window: 150 };
    const full = { ...shape, qLen: shape.kvLen };
    const kv = randomAttentionInputs(full, seed);
    const qRows = randomAttentionInputs({ ...shape, qLen: 1 }, seed + 1).q;
    const maxCtx = 300;
    const q = gpu.upload(qRows, { label: 'q' });
    const k = gpu.upload(toCacheLayout(kv.k, full, maxCtx, seed + 7), { label: 'K cache' });
    const v = gpu.upload(toCacheLayout(kv.v, full, maxCtx, seed + 8), { label: 'V cache' });
    const lengthsBuffer = gpu.upload(new Uint32Array(lengths), { label: 'lengths' });
    const partials = gpu.alloc(attentionDecodeScratchBytes(shape), { label: 'partials' });
    const rowWidth = shape.nHeads * shape.headDim;
    const out = gpu.alloc(shape.batch * rowWidth * 4, { label: 'O' });
    const rec = gpu.recorder();
    attentionDecode(rec, { q, k, v, lengths: lengthsBuffer, partials, out }, shape, { kvLayout: { kind: 'cache', maxCtx } });
    rec.submit();
    const got = await gpu.readF32(out, shape.batch * rowWidth);
    for (const t of [q, k, v, lengthsBuffer, partials, out]) gpu.buffers.free(t);

    const kvWidth = shape.nKvHeads * shape.headDim;
    lengths.forEach((len, b) => {
      const keys = (a: Float32Array) => a.slice(b * shape.kvLen * kvWidth, (b * shape.kvLen + len) * kvWidth);
      const one = { qLen: 1, kvLen: len, nHeads: 4, nKvHeads: 2, headDim: 64, window: 150 };
      const want = attentionReference({ q: qRows.slice(b * rowWidth, (b + 1) * rowWidth), k: keys(kv.k), v: keys(kv.v) }, one);
      expectAllClose(got.slice(b * rowWidth, (b + 1) * rowWidth), want.out, F32_TOLERANCE, `sequence ${b} of length ${len} (seed ${seed})`);
    });
  });

  it('decodes a one-chunk cache in one dispatch, bit-identical to the same sequence merged in a two-chunk batch', async () => {
    const gpu = await testGpu();
    const seed = 58;
    const lengths = [200, 90];
    const shape = { batch: 2, kvLen: 200, nHeads: 4, nKvHeads: 2, headDim: 64 };
    const full = { ...shape, qLen: shape.kvLen };
    const kv = randomAttentionInputs(full, seed);
    const qRows = randomAttentionInputs({ ...shape, qLen: 1 }, seed + 1).q;
    const maxCtx = 256;
    const rowWidth = shape.nHeads * shape.headDim;
    const k = gpu.upload(toCacheLayout(kv.k, full, maxCtx, seed + 7), { label: 'K cache' });
    const v = gpu.upload(toCacheLayout(kv.v, full, maxCtx, seed + 8), { label: 'V cache' });
    const q = gpu.upload(qRows, { label: 'q' });
    const lengthsBuffer = gpu.upload(new Uint32Array(lengths), { label: 'lengths' });
    const partials = gpu.alloc(attentionDecodeScratchBytes(shape), { label: 'partials' });
    const out = gpu.alloc(shape.batch * rowWidth * 4, { label: 'O' });
    const kvLayout = { kind: 'cache' as const, maxCtx };
    const batched = gpu.recorder();
    attentionDecode(batched, { q, k, v, lengths: lengthsBuffer, partials, out }, shape, { kvLayout });
    expect(batched.dispatchCount, 'two chunks: decode, then combine').toBe(2);
    batched.submit();
    const merged = await gpu.readF32(out, shape.batch * rowWidth);

    // Sequence 1 alone: its rows of the cache (one [nKvHeads, maxCtx, headDim] block) and its query.
    const sequenceBytes = shape.nKvHeads * maxCtx * shape.headDim * 4;
    const range = (buffer: GPUBuffer) => ({ buffer, offset: sequenceBytes, size: sequenceBytes, range: true as const });
    const qAlone = gpu.upload(qRows.slice(rowWidth), { label: 'q alone' });
    const outAlone = gpu.alloc(rowWidth * 4, { label: 'O alone' });
    const alone = gpu.recorder();
    const aloneShape = { kvLen: lengths[1], nHeads: 4, nKvHeads: 2, headDim: 64 };
    attentionDecode(alone, { q: qAlone, k: range(k.buffer), v: range(v.buffer), partials, out: outAlone }, aloneShape, { kvLayout });
    expect(alone.dispatchCount, 'one chunk: no combine').toBe(1);
    alone.submit();
    const single = await gpu.readF32(outAlone, rowWidth);
    for (const t of [q, k, v, lengthsBuffer, partials, out, qAlone, outAlone]) gpu.buffers.free(t);

    expectBitExact(single, merged.slice(rowWidth), `sequence 1 (90 keys) alone vs in a 200-key batch, seed ${seed}`);
  });

  // The wrapper picks 4 threads on CPU adapters and 64 on GPUs; 128 is the most a 128-key chunk can use. 150 keys:
  // a full chunk and one of 22 keys, which no shape divides evenly.
  for (const threads of [4, 64, 128]) {
    it(`gives the same result with ${threads} threads per workgroup`, async () => {
      await expectDecodeMatchesForwardLastRow({ kvLen: 150, nHeads: 4, nKvHeads: 2, headDim: 64 }, 57, 'f32', threads);
    });
  }

  it('handles head dim 8 (stories260K)', async () => {
    await expectDecodeMatchesForwardLastRow({ kvLen: 150, nHeads: 8, nKvHeads: 4, headDim: 8 }, 54);
  });

  it('stores f16 activations where the adapter has shader-f16', async () => {
    const gpu = await testGpu();
    const precisions: ActivationPrecision[] = gpu.features.f16 ? ['f32', 'f16'] : ['f32'];
    for (const precision of precisions)
      await expectDecodeMatchesForwardLastRow({ kvLen: 90, nHeads: 4, nKvHeads: 2, headDim: 64 }, 55, precision);
  });
});

describe('attention shape checks', () => {
  const base = { qLen: 8, nHeads: 4, nKvHeads: 2, headDim: 64 };

  it('rejects a head count that is not a multiple of the KV head count', () => {
    expect(() => resolveAttentionShape({ ...base, nKvHeads: 3 }, 'test')).toThrow(LabError);
    expect(() => resolveAttentionShape({ ...base, nKvHeads: 3 }, 'test')).toThrow(/not a multiple of nKvHeads/);
  });

  it('rejects more queries than keys', () => {
    expect(() => resolveAttentionShape({ ...base, kvLen: 7 }, 'test')).toThrow(/qLen \(8\) exceeds kvLen \(7\)/);
  });

  it('rejects head dims the tiled kernels cannot split', () => {
    expect(() => checkHeadDim(130, 4, 'test')).toThrow(/head dim 130 is not supported/);
    expect(() => checkHeadDim(256, 4, 'test')).toThrow(LabError);
    expect(() => checkHeadDim(8, 4, 'test')).not.toThrow();
  });

  it('rejects a KV cache shorter than the keys it should hold', () => {
    const s = resolveAttentionShape({ ...base, kvLen: 40 }, 'test');
    expect(() => kvStrides(s, { kind: 'cache', maxCtx: 32 }, 'test')).toThrow(/exceeds the cache's maxCtx 32/);
  });

  it('gives each packed token the first position of its own sequence', () => {
    expect([...packedSegmentStarts([2, 1, 3])]).toEqual([0, 0, 2, 3, 3, 3]);
  });
});

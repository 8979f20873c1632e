import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { expectAllClose } from './compare';
import { expectBitExact } from './qfixtures';
import { randomAttentionInputs, runAttentionForward, toCacheLayout } from './attentionCases';
import { uploadStored } from './storedTensors';
import { attentionDecode, attentionDecodeScratchBytes, type AttentionDecodeShape } from '../../src/kernels/attentionDecode';
import { attentionReference } from '../../src/kernels/reference/attention';
import { packedSegmentStarts, resolveAttentionShape, type AttentionShape } from '../../src/kernels/attentionShape';
import { checkHeadDim, kvStrides } from '../../src/kernels/attention';
import type { AttentionTilingKind } from '../../src/kernels/attentionTiling';
import { LabError } from '../../src/errors';
import { STORED_PRECISIONS, storedBytes, type StoredPrecision } from '../../src/kernels/storedValues';
import { seededRandom } from '../../src/util/random';

// f32: every output is a convex combination of V values in [-1, 1] and the only rounding is f32 exp/fma over at most
// a few hundred terms (≈1e-6); 2e-5 leaves margin while a masking or indexing mistake moves outputs by ~1e-1.
const F32_TOLERANCE = { atol: 2e-5, rtol: 1e-5 };
async function expectForwardMatchesReference(
  shape: AttentionShape,
  seed: number,
  extra: { segStart?: Uint32Array; tiling?: AttentionTilingKind } = {},
): Promise<void> {
  const gpu = await testGpu();
  const x = { ...randomAttentionInputs(shape, seed), segStart: extra.segStart };
  const got = await runAttentionForward(gpu, x, shape, { tiling: extra.tiling });
  const want = attentionReference(x, shape);
  const context = `seed ${seed}, ${JSON.stringify(shape)} ${extra.tiling ?? 'adapter'} tiling`;
  expectAllClose(got.out, want.out, F32_TOLERANCE, `O, ${context}`);
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

  // K and V stored as f16 pairs come back as the rounded values, which the reference is given too: what remains
  // is f32 arithmetic, so the f32 tolerance holds.
  for (const kvStorage of STORED_PRECISIONS) {
    it(`attends the last qLen queries to a longer KV cache (chunked prefill) in cache layout, stored as ${kvStorage}`, async () => {
      const gpu = await testGpu();
      const shape = { batch: 2, qLen: 9, kvLen: 75, nHeads: 4, nKvHeads: 2, headDim: 64, window: 40 };
      const seed = 20;
      const x = randomAttentionInputs(shape, seed, kvStorage);
      const maxCtx = 96;
      const cached = { q: x.q, k: toCacheLayout(x.k, shape, maxCtx, seed + 5), v: toCacheLayout(x.v, shape, maxCtx, seed + 6) };
      const got = await runAttentionForward(gpu, cached, shape, { kvLayout: { kind: 'cache', maxCtx }, kvStorage });
      const want = attentionReference(x, shape);
      expectAllClose(got.out, want.out, F32_TOLERANCE, `O, seed ${seed}`);
      expectAllClose(got.lse, want.lse, F32_TOLERANCE, `LSE, seed ${seed}`);
    });
  }

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
// at the end versus 16-key tiles), and outputs are convex combinations of values in [-1, 1]. A cache in f16 pairs
// holds the rounded keys and values, which the forward and the reference are given too.

/**
 * Runs the forward over all kvLen tokens (token-major K/V), then decodes the last token against the same keys in
 * the cache layout, and checks decode = the forward's last row = the f64 reference's last row.
 */
async function expectDecodeMatchesForwardLastRow(
  shape: AttentionDecodeShape,
  seed: number,
  kvStorage: StoredPrecision,
  threads?: number,
): Promise<void> {
  const gpu = await testGpu();
  const batch = shape.batch ?? 1;
  const { kvLen, nHeads, headDim } = shape;
  const full = { ...shape, qLen: kvLen };
  const x = randomAttentionInputs(full, seed, kvStorage);
  const forward = await runAttentionForward(gpu, x, full);

  const rowWidth = nHeads * headDim;
  const lastRows = (a: Float32Array) => {
    const out = new Float32Array(batch * rowWidth);
    for (let b = 0; b < batch; b++) out.set(a.subarray((b * kvLen + kvLen - 1) * rowWidth, (b * kvLen + kvLen) * rowWidth), b * rowWidth);
    return out;
  };
  const qLast = lastRows(x.q);
  const maxCtx = kvLen + 37;
  const q = gpu.upload(qLast, { label: 'q' });
  const k = uploadStored(gpu, toCacheLayout(x.k, full, maxCtx, seed + 7), kvStorage, 'K cache');
  const v = uploadStored(gpu, toCacheLayout(x.v, full, maxCtx, seed + 8), kvStorage, 'V cache');
  const partials = gpu.alloc(attentionDecodeScratchBytes(shape), { label: 'partials' });
  const out = gpu.alloc(batch * rowWidth * 4, { label: 'O' });
  const rec = gpu.recorder();
  attentionDecode(rec, { q, k, v, partials, out }, shape, { kvLayout: { kind: 'cache', maxCtx }, kvStorage, threads });
  rec.submit();
  const got = await gpu.readF32(out, batch * rowWidth);
  for (const t of [q, k, v, partials, out]) gpu.buffers.free(t);

  const context = `seed ${seed}, ${JSON.stringify(shape)} ${kvStorage}${threads ? `, ${threads} threads` : ''}`;
  const tolerance = F32_TOLERANCE;
  expectAllClose(got, lastRows(forward.out), tolerance, `decode vs forward's last row, ${context}`);
  const reference = attentionReference({ q: qLast, k: x.k, v: x.v }, { ...shape, qLen: 1 });
  expectAllClose(got, reference.out, tolerance, `decode vs reference, ${context}`);
}

describe.each(STORED_PRECISIONS)('attention decode (one new token against the KV cache stored as %s)', (kvStorage) => {
  it('equals the forward pass on a one-token cache', async () => {
    await expectDecodeMatchesForwardLastRow({ kvLen: 1, nHeads: 4, nKvHeads: 2, headDim: 64 }, 51, kvStorage);
  });

  it("equals the forward's last row across several 128-key chunks, batched, GQA 4, head dim 128", async () => {
    await expectDecodeMatchesForwardLastRow({ batch: 2, kvLen: 260, nHeads: 4, nKvHeads: 1, headDim: 128 }, 52, kvStorage);
  });

  it('reads only the last `window` positions with a sliding window', async () => {
    await expectDecodeMatchesForwardLastRow({ kvLen: 700, nHeads: 2, nKvHeads: 1, headDim: 64, window: 200 }, 53, kvStorage);
  });

  it('decodes a batch whose sequences have different cache lengths, with a window', async () => {
    const gpu = await testGpu();
    const seed = 56;
    const lengths = [260, 1, 129];
    const shape = { batch: 3, kvLen: 260, nHeads: 4, nKvHeads: 2, headDim: 64, window: 150 };
    const full = { ...shape, qLen: shape.kvLen };
    const kv = randomAttentionInputs(full, seed, kvStorage);
    const qRows = randomAttentionInputs({ ...shape, qLen: 1 }, seed + 1).q;
    const maxCtx = 300;
    const q = gpu.upload(qRows, { label: 'q' });
    const k = uploadStored(gpu, toCacheLayout(kv.k, full, maxCtx, seed + 7), kvStorage, 'K cache');
    const v = uploadStored(gpu, toCacheLayout(kv.v, full, maxCtx, seed + 8), kvStorage, 'V cache');
    const lengthsBuffer = gpu.upload(new Uint32Array(lengths), { label: 'lengths' });
    const partials = gpu.alloc(attentionDecodeScratchBytes(shape), { label: 'partials' });
    const rowWidth = shape.nHeads * shape.headDim;
    const out = gpu.alloc(shape.batch * rowWidth * 4, { label: 'O' });
    const rec = gpu.recorder();
    attentionDecode(rec, { q, k, v, lengths: lengthsBuffer, partials, out }, shape, { kvLayout: { kind: 'cache', maxCtx }, kvStorage });
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
    const kv = randomAttentionInputs(full, seed, kvStorage);
    const qRows = randomAttentionInputs({ ...shape, qLen: 1 }, seed + 1).q;
    const maxCtx = 256;
    const rowWidth = shape.nHeads * shape.headDim;
    const k = uploadStored(gpu, toCacheLayout(kv.k, full, maxCtx, seed + 7), kvStorage, 'K cache');
    const v = uploadStored(gpu, toCacheLayout(kv.v, full, maxCtx, seed + 8), kvStorage, 'V cache');
    const q = gpu.upload(qRows, { label: 'q' });
    const lengthsBuffer = gpu.upload(new Uint32Array(lengths), { label: 'lengths' });
    const partials = gpu.alloc(attentionDecodeScratchBytes(shape), { label: 'partials' });
    const out = gpu.alloc(shape.batch * rowWidth * 4, { label: 'O' });
    const kvLayout = { kind: 'cache' as const, maxCtx };
    const batched = gpu.recorder();
    attentionDecode(batched, { q, k, v, lengths: lengthsBuffer, partials, out }, shape, { kvLayout, kvStorage });
    expect(batched.dispatchCount, 'two chunks: decode, then combine').toBe(2);
    batched.submit();
    const merged = await gpu.readF32(out, shape.batch * rowWidth);

    // Sequence 1 alone: its rows of the cache (one [nKvHeads, maxCtx, headDim] block) and its query.
    const sequenceBytes = storedBytes(shape.nKvHeads * maxCtx * shape.headDim, kvStorage);
    const range = (buffer: GPUBuffer) => ({ buffer, offset: sequenceBytes, size: sequenceBytes, range: true as const });
    const qAlone = gpu.upload(qRows.slice(rowWidth), { label: 'q alone' });
    const outAlone = gpu.alloc(rowWidth * 4, { label: 'O alone' });
    const alone = gpu.recorder();
    const aloneShape = { kvLen: lengths[1], nHeads: 4, nKvHeads: 2, headDim: 64 };
    attentionDecode(alone, { q: qAlone, k: range(k.buffer), v: range(v.buffer), partials, out: outAlone }, aloneShape, {
      kvLayout,
      kvStorage,
    });
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
      await expectDecodeMatchesForwardLastRow({ kvLen: 150, nHeads: 4, nKvHeads: 2, headDim: 64 }, 57, kvStorage, threads);
    });
  }

  it('handles head dim 8 (stories260K)', async () => {
    await expectDecodeMatchesForwardLastRow({ kvLen: 150, nHeads: 8, nKvHeads: 4, headDim: 8 }, 54, kvStorage);
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

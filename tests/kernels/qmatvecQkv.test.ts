import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import type { Binding } from '../../src/gpu/recorder';
import type { TrackedBuffer } from '../../src/gpu/allocator';
import { matvecScratchBytes, quantizedMatmul, type MatvecDot, type MatvecNorm } from '../../src/kernels/qmatmul';
import { stackedQkv, type QkvHeads } from '../../src/kernels/qmatvecStacked';
import { rope, ropeInverseFrequencies } from '../../src/kernels/rope';
import { KV_STORE_SKIP, kvStore } from '../../src/kernels/kvStore';
import { QUANT_FORMATS, freeQuantizedWeight, type QuantFormat } from '../../src/kernels/quantWeight';
import { quantizedMatmulReference } from '../../src/kernels/reference/qmatmul';
import { rmsNormReference } from '../../src/kernels/reference/rmsnorm';
import { ropeReference } from '../../src/kernels/reference/rope';
import { kvStoreReference } from '../../src/kernels/reference/kvStore';
import { packF16PairsReference, unpackF16PairsReference } from '../../src/kernels/reference/storedValues';
import { storedBytes, type StoredPrecision } from '../../src/kernels/storedValues';
import { LabError } from '../../src/errors';
import { expectAllClose } from './compare';
import { MATVEC_LAYOUTS, TEST_K, expectBitExact, sumTolerance, testStack } from './qfixtures';

// The matvec kernel's qkv epilogue over a stacked q, k, v weight: q (+ bias, rotated) into its buffer and k (+ bias,
// rotated), v (+ bias) straight into the KV cache, in one dispatch where decode ran three projections, two RoPE
// dispatches and the cache store. Its contract is bit-identity with those dispatches, checked first; the f64
// reference second. Caches start random, so a store to a wrong place or a row that should store nothing shows; they
// are stored in f16 pairs (the default) or f32, as the case says.

const EPS = 1e-5;

/** Where the rows go: one sequence at consecutive positions (KvCache), or batch slots with a row sitting out. */
type Layout = { kind: 'sequence'; start: number } | { kind: 'batch'; at: number[]; firstSlot: number };

interface Case {
  format: QuantFormat;
  /** v's format where it differs from q's and k's (with K a whole number of both formats' blocks). */
  formatV?: QuantFormat;
  K?: number;
  heads: QkvHeads;
  M: number;
  layout: Layout;
  bias: boolean;
  norm: boolean;
  storage: StoredPrecision;
  threads?: number;
  /** Whether those threads split K (true unless given). */
  splitK?: boolean;
  /** An 8-bit dot product (the qkvQuantized entry point), for the fused and the separate products alike. */
  dot?: MatvecDot;
}

/** 2 query heads and 1 KV head of 12 dims, 8 of them rotated: partial rotary, and a head that is not a power of 2. */
const HEADS: QkvHeads = { nHeads: 2, nKvHeads: 1, headDim: 12, nRot: 8, mode: 'normal' };
const POSITIONS = 9; // cache positions per slot
const SLOTS = 4;

function rowPositions(c: Case): { rope: number[]; at: number[] } {
  if (c.layout.kind === 'sequence') {
    const at = Array.from({ length: c.M }, (_, m) => (c.layout as { start: number }).start + m);
    return { rope: at, at };
  }
  return { rope: c.layout.at.map((p) => (p === KV_STORE_SKIP ? 0 : p)), at: c.layout.at };
}

async function run(c: Case, seed: number) {
  const gpu = await testGpu();
  const { format, heads, M } = c;
  const K = c.K ?? TEST_K[format];
  const nQ = heads.nHeads * heads.headDim;
  const nKv = heads.nKvHeads * heads.headDim;
  const { stack, alone } = testStack(gpu, [format, format, c.formatV ?? format], [nQ, nKv, nKv], K, seed);
  const x = randomF32(M * K, seed + 3).map((v) => 5 * v);
  const normW = randomF32(K, seed + 4);
  const biases = [randomF32(nQ, seed + 5), randomF32(nKv, seed + 6), randomF32(nKv, seed + 7)];
  const invFreq = ropeInverseFrequencies({ nRot: heads.nRot, freqBase: 10000 });
  const table = c.bias ? Float32Array.from([...invFreq, ...biases[0], ...biases[1], ...biases[2]]) : invFreq;
  const cacheValues = (c.layout.kind === 'batch' ? SLOTS : 1) * POSITIONS * nKv;
  const cacheWords = storedBytes(cacheValues, c.storage) / 4;
  // Random values a cache held before, as its stored words.
  const randomWords = (offset: number) => {
    const values = randomF32(cacheValues, seed + offset);
    return c.storage === 'f32' ? new Uint32Array(values.buffer) : packF16PairsReference(values);
  };
  const cache0 = { keys: randomWords(8), values: randomWords(9) };
  const positions = rowPositions(c);
  const owned = {
    x: gpu.upload(x, { label: 'X' }),
    normW: gpu.upload(normW, { label: 'norm weight' }),
    table: gpu.upload(table, { label: 'rope and bias table' }),
    invFreq: gpu.upload(invFreq, { label: 'invFreq' }),
    bq: gpu.upload(biases[0], { label: 'bias q' }),
    bk: gpu.upload(biases[1], { label: 'bias k' }),
    bv: gpu.upload(biases[2], { label: 'bias v' }),
    ropeAt: gpu.upload(Uint32Array.from(positions.rope), { label: 'rope positions' }),
    at: gpu.upload(Uint32Array.from(positions.at), { label: 'store positions' }),
    q: gpu.alloc(M * nQ * 4, { label: 'q (separate)' }),
    k: gpu.alloc(M * nKv * 4, { label: 'k' }),
    v: gpu.alloc(M * nKv * 4, { label: 'v' }),
    keys: gpu.upload(cache0.keys, { label: 'keys (separate)' }),
    values: gpu.upload(cache0.values, { label: 'values (separate)' }),
    fusedQ: gpu.alloc(M * nQ * 4, { label: 'q (fused)' }),
    fusedKeys: gpu.upload(cache0.keys, { label: 'keys (fused)' }),
    fusedValues: gpu.upload(cache0.values, { label: 'values (fused)' }),
    xq: gpu.alloc(matvecScratchBytes(M, K), { label: 'XQ' }),
  };
  const b = owned;
  try {
    const norm: MatvecNorm | undefined = c.norm ? { weight: b.normW, eps: EPS } : undefined;
    const rec = gpu.recorder();
    const outs: Binding[] = [b.q, b.k, b.v];
    const bias = [b.bq, b.bk, b.bv];
    alone.forEach((w, i) =>
      quantizedMatmul(rec, b.x, w.weight, outs[i], {
        M,
        norm,
        epilogue: c.bias ? { kind: 'bias', bias: bias[i] } : undefined,
        ...gpuLayout(c),
        ...dotOptions(c.dot, b.xq),
      }),
    );
    const ropeShape = { tokens: M, headDim: heads.headDim, nRot: heads.nRot, mode: heads.mode };
    rope(rec, { x: b.q, positions: b.ropeAt, invFreq: b.invFreq }, { ...ropeShape, nHeads: heads.nHeads });
    rope(rec, { x: b.k, positions: b.ropeAt, invFreq: b.invFreq }, { ...ropeShape, nHeads: heads.nKvHeads });
    // The store as KvCache (one slot, every row in it) and BatchKvCache (a slot per row) record it.
    const batch = c.layout.kind === 'batch';
    const slotValues = batch ? POSITIONS * nKv : 0;
    const firstSlot = c.layout.kind === 'batch' ? c.layout.firstSlot : 0;
    const storeShape = { rows: M, rowValues: nKv, slotValues: POSITIONS * nKv, firstSlot, oneSlot: !batch };
    kvStore(rec, { at: b.at, k: b.k, v: b.v, keys: b.keys, values: b.values }, storeShape, { storage: c.storage });
    const before = rec.dispatchCount;
    stackedQkv(
      rec,
      b.x,
      stack,
      {
        q: b.fusedQ,
        rotation: b.table,
        cache: { keys: b.fusedKeys, values: b.fusedValues, at: b.at, slotValues, firstSlot, precision: c.storage },
      },
      heads,
      { M, norm, biasAt: c.bias ? invFreq.length : undefined, ...gpuLayout(c), ...dotOptions(c.dot, b.xq) },
    );
    const dispatches = rec.dispatchCount - before;
    rec.submit();

    // The reference: rmsnorm, the products in f64, biases, RoPE, the store.
    const xn = c.norm ? rmsNormReference(x, normW, M, K, EPS).y : x;
    const [q, k, v] = alone.map((w, i) => {
      const y = quantizedMatmulReference(xn, w.decoded, M, w.weight.N, K);
      return c.bias ? y.map((value, j) => value + biases[i][j % w.weight.N]) : y;
    });
    const ropeAt = Uint32Array.from(positions.rope);
    const want = {
      q: ropeReference(q, ropeAt, invFreq, { ...ropeShape, nHeads: heads.nHeads }),
      ...kvStoreReference(
        Uint32Array.from(positions.at),
        ropeReference(k, ropeAt, invFreq, { ...ropeShape, nHeads: heads.nKvHeads }),
        v,
        cache0.keys,
        cache0.values,
        storeShape,
        c.storage,
      ),
    };
    // The caches' values (f32 bits as they are, f16 pairs unpacked), so bit-identity and the tolerance read alike.
    const values = (words: Uint32Array) =>
      c.storage === 'f32' ? new Float32Array(words.buffer, words.byteOffset, words.length) : unpackF16PairsReference(words, cacheValues);
    const read = (buf: TrackedBuffer) => gpu.readF32(buf, buf.bytes / 4);
    const readCache = async (buf: TrackedBuffer) => values(await gpu.readU32(buf, cacheWords));
    return {
      dispatches,
      fused: { q: await read(b.fusedQ), keys: await readCache(b.fusedKeys), values: await readCache(b.fusedValues) },
      separate: { q: await read(b.q), keys: await readCache(b.keys), values: await readCache(b.values) },
      want: { q: want.q, keys: values(want.keys), values: values(want.values) },
      K,
    };
  } finally {
    for (const buf of [...Object.values(owned), stack.buffer]) gpu.buffers.free(buf);
    for (const w of alone) freeQuantizedWeight(gpu, w.weight);
  }
}

async function check(c: Case, seed: number): Promise<void> {
  const r = await run(c, seed);
  const matvec = c.threads === undefined ? '' : ` ${c.threads} threads${c.splitK === false ? '' : ' splitting K'}`;
  const context = `${c.format}${c.formatV ? `+${c.formatV} v` : ''} ${c.heads.mode}${matvec} dot ${c.dot ?? 'f32'} M=${c.M} ${c.layout.kind} bias=${c.bias} norm=${c.norm} ${c.storage} seed ${seed}`;
  const integerDot = c.dot !== undefined && c.dot !== 'f32';
  // With an 8-bit dot product, the activations' quantization and the fused dispatch.
  expect(r.dispatches, context).toBe(integerDot ? 2 : 1);
  for (const name of ['q', 'keys', 'values'] as const) {
    expectBitExact(r.fused[name], r.separate[name], `${name}: fused vs separate, ${context}`);
    // The separate 8-bit products are held to the f64 reference of the rounded activations in qmatvecInt8.test.ts.
    if (integerDot) continue;
    // Normalised rows reach |x| ≈ √K; RoPE and the bias add only a few roundings; f16 pairs one more, relative.
    expectAllClose(
      r.fused[name],
      r.want[name],
      { atol: 4 * sumTolerance(r.K).atol * (c.norm ? 1 : 5), rtol: c.storage === 'f32' || name === 'q' ? 0 : 2 ** -10 },
      `${name}: vs reference, ${context}`,
    );
  }
}

/** An 8-bit dot product's options (its activation scratch), or none. */
function dotOptions(dot: MatvecDot | undefined, scratch: Binding) {
  return dot === undefined ? {} : { matvecDot: dot, activationScratch: scratch };
}

/** A given thread count is a workgroup whose threads split K unless told (the adapter's own layout otherwise). */
function gpuLayout(c: Case) {
  return c.threads === undefined ? {} : { matvecThreads: c.threads, matvecSplitK: c.splitK ?? true };
}

describe('quantized matvec with the qkv epilogue (projections, bias, RoPE and the KV-cache store in one dispatch)', () => {
  QUANT_FORMATS.forEach((format, f) => {
    it(`${format}: one sequence and a batch with a row sitting out, with the norm, f16 and f32 caches, give the separate dispatches' bits`, async () => {
      const seed = 1300 + 10 * f;
      const shape = { format, heads: HEADS, M: 3, bias: false, norm: true };
      await check({ ...shape, layout: { kind: 'sequence', start: 4 }, storage: 'f16-packed' }, seed);
      await check({ ...shape, layout: { kind: 'batch', at: [5, KV_STORE_SKIP, 0], firstSlot: 1 }, storage: 'f32' }, seed + 1);
      await check({ ...shape, layout: { kind: 'batch', at: [5, KV_STORE_SKIP, 0], firstSlot: 1 }, storage: 'f16-packed' }, seed + 2);
    }, 60_000);
  });

  it('neox pairs (Qwen2) with q, k, v biases, partial and full rotation, with and without the norm', async () => {
    const neox = { ...HEADS, mode: 'neox' as const };
    let seed = 1400;
    for (const heads of [neox, { ...neox, headDim: 8, nRot: 8 }]) {
      for (const norm of [true, false]) {
        const storage = norm ? 'f16-packed' : 'f32';
        await check({ format: 'Q8_0', heads, M: 2, layout: { kind: 'sequence', start: 6 }, bias: true, norm, storage }, seed++);
        await check(
          { format: 'Q4_K', heads, M: 3, layout: { kind: 'batch', at: [KV_STORE_SKIP, 8, 1], firstSlot: 0 }, bias: true, norm, storage },
          seed++,
        );
      }
    }
  }, 120_000);

  it('M = 1 with 32 threads (a GPU workgroup) and M = 8 fully rotated, the normal pairs with biases', async () => {
    await check(
      {
        format: 'Q4_0',
        heads: HEADS,
        M: 1,
        layout: { kind: 'sequence', start: 8 },
        bias: true,
        norm: true,
        storage: 'f16-packed',
        threads: 32,
      },
      1450,
    );
    await check(
      {
        format: 'Q6_K',
        heads: { ...HEADS, nRot: 12 },
        M: 8,
        layout: { kind: 'sequence', start: 1 },
        bias: true,
        norm: true,
        storage: 'f32',
      },
      1451,
    );
  }, 120_000);

  it('with the 8-bit dot products (the qkvQuantized entry point), the bits of the separate 8-bit products', async () => {
    let seed = 1470;
    for (const format of ['Q4_0', 'Q8_0', 'Q4_K', 'Q6_K'] as const) {
      for (const dot of ['i8-pairs', 'i8-packed'] as const) {
        const shape = { format, heads: HEADS, M: 3, bias: true, norm: true, dot };
        await check({ ...shape, layout: { kind: 'sequence', start: 2 }, storage: 'f16-packed' }, seed++);
        await check({ ...shape, layout: { kind: 'batch', at: [4, KV_STORE_SKIP, 1], firstSlot: 0 }, storage: 'f32', threads: 32 }, seed++);
      }
    }
  }, 180_000);

  /**
   * A Q4_K_M layer's stack (or its converse) over every matvec layout, layout i with the dot products dots[i]:
   * M = 1, 3, 8, normal and neox pairs, f16 and f32 caches, batch and sequence rows, with and without the norm in turn.
   */
  async function checkMixed(
    format: QuantFormat,
    formatV: QuantFormat,
    dots: readonly (readonly MatvecDot[])[],
    seed: number,
  ): Promise<void> {
    // Rows of 3 super-blocks: Q6_K rows of 630 bytes, so every other v row starts 2 bytes off a word.
    const K = 768;
    let n = 0;
    for (const [i, { threads, splitK }] of MATVEC_LAYOUTS.entries()) {
      for (const dot of dots[i]) {
        const M = [1, 3, 8][n % 3];
        const at = Array.from({ length: M }, (_, m) => (m === 1 ? KV_STORE_SKIP : (2 * m + 3) % POSITIONS));
        const layout: Layout = M <= 3 && i % 2 === 0 ? { kind: 'batch', at, firstSlot: 1 } : { kind: 'sequence', start: 1 };
        const neox = (i + n) % 2 === 1;
        const heads: QkvHeads = neox ? { ...HEADS, mode: 'neox' } : HEADS;
        const storage = Math.floor(n / 2) % 2 === 0 ? 'f16-packed' : 'f32';
        await check({ format, formatV, K, heads, M, layout, bias: neox, norm: n % 4 !== 3, storage, threads, splitK, dot }, seed + n);
        n++;
      }
    }
  }

  it('Q4_K q, k with a Q6_K v (Q4_K_M layers): every matvec layout, f32 and 8-bit dots, the bits of the separate products', async () => {
    await checkMixed(
      'Q4_K',
      'Q6_K',
      MATVEC_LAYOUTS.map(() => ['f32', 'i8-pairs'] as const),
      1500,
    );
  }, 240_000);

  it('Q6_K q, k with a Q4_K v: every matvec layout, the f32 and both 8-bit dots in turn, the bits of the separate products', async () => {
    await checkMixed('Q6_K', 'Q4_K', [['f32'], ['i8-pairs'], ['i8-packed'], ['f32']], 1520);
  }, 120_000);

  it('refuses q and k in different formats, and a v format whose blocks the dispatch cannot walk with theirs', async () => {
    const gpu = await testGpu();
    const buf = gpu.alloc(64 * 4, { label: 'scratch' });
    const out = {
      q: buf,
      rotation: buf,
      cache: { keys: buf, values: buf, at: buf, slotValues: 0, firstSlot: 0, precision: 'f32' as const },
    };
    const heads = { nHeads: 2, nKvHeads: 1, headDim: 4, nRot: 4, mode: 'normal' as const };
    try {
      for (const formats of [
        ['Q4_K', 'Q6_K', 'Q6_K'],
        ['Q4_0', 'Q4_0', 'Q8_0'],
        ['Q4_K', 'Q4_K', 'Q8_0'],
      ] as const) {
        const { stack, alone } = testStack(gpu, formats, [8, 4, 4], 256, 1530);
        try {
          const rec = gpu.recorder();
          expect(() => stackedQkv(rec, buf, stack, out, heads, { M: 1 }), formats.join(', ')).toThrow(/stack of/);
          expect(rec.dispatchCount).toBe(0);
        } finally {
          gpu.buffers.free(stack.buffer);
          for (const w of alone) freeQuantizedWeight(gpu, w.weight);
        }
      }
    } finally {
      gpu.buffers.free(buf);
    }
  });

  it('refuses heads whose RoPE pairs would straddle workgroups, and a stack of two', async () => {
    const gpu = await testGpu();
    const { stack, alone } = testStack(gpu, 'Q4_0', [12, 6, 6], TEST_K.Q4_0, 1460);
    const buf = gpu.alloc(64 * 4, { label: 'scratch' });
    try {
      const rec = gpu.recorder();
      const out = {
        q: buf,
        rotation: buf,
        cache: { keys: buf, values: buf, at: buf, slotValues: 0, firstSlot: 0, precision: 'f32' as const },
      };
      const heads = { nHeads: 2, nKvHeads: 1, headDim: 6, nRot: 6, mode: 'normal' as const };
      expect(() => stackedQkv(rec, buf, stack, out, heads, { M: 1 })).toThrow(LabError);
      const pair = { ...stack, sections: stack.sections.slice(0, 2) };
      expect(() => stackedQkv(rec, buf, pair, out, heads, { M: 1 })).toThrow(LabError);
      expect(rec.dispatchCount).toBe(0);
    } finally {
      gpu.buffers.free(buf);
      gpu.buffers.free(stack.buffer);
      for (const w of alone) freeQuantizedWeight(gpu, w.weight);
    }
  });
});

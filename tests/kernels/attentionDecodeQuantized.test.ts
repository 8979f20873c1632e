import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomAttentionInputs, toCacheLayout } from './attentionCases';
import { uploadStored } from './storedTensors';
import {
  attentionDecode,
  attentionDecodeQuantizes,
  attentionDecodeScratchBytes,
  type AttentionDecodeShape,
} from '../../src/kernels/attentionDecode';
import { quantizeActivations, quantizedActivationBytes, quantizedActivationWords } from '../../src/kernels/quantizeActivations';
import type { Gpu } from '../../src/gpu/gpu';
import type { TrackedBuffer } from '../../src/gpu/allocator';
import { LabError } from '../../src/errors';
import { STORED_PRECISIONS, type StoredPrecision } from '../../src/kernels/storedValues';
import { seededRandom } from '../../src/util/random';

// The decode step writing its output also as 8-bit rows must give the o-projection exactly what quantizing that
// output separately gives it: XQ is compared word for word with quantizeActivations run on the O the same dispatch
// wrote, and O with the plain decode's. Both XQ buffers start as different random words, so a block the decode
// leaves unwritten (a head, a sequence) cannot match.

const NHEADS = 4;
const NKV_HEADS = 2;

interface DecodeCase {
  kvLen: number;
  /** Per-sequence cache lengths (batch = their count); absent: one sequence of kvLen. */
  lengths?: number[];
}

/** One chunk (≤ 128 keys) and several (the combine writes O), alone and as a batch of different lengths. */
const CASES: { name: string; c: DecodeCase }[] = [
  { name: 'one chunk, one sequence', c: { kvLen: 90 } },
  { name: 'one chunk, 3 sequences of 100, 1 and 57 keys', c: { kvLen: 100, lengths: [100, 1, 57] } },
  { name: 'split chunks, one sequence of 260 keys', c: { kvLen: 260 } },
  { name: 'split chunks, 3 sequences of 300, 1 and 129 keys', c: { kvLen: 300, lengths: [300, 1, 129] } },
];

interface DecodeRun {
  shape: AttentionDecodeShape;
  kvStorage: StoredPrecision;
  owned: TrackedBuffer[];
  buffers: { q: TrackedBuffer; k: TrackedBuffer; v: TrackedBuffer; lengths?: TrackedBuffer; partials: TrackedBuffer };
}

function decodeInputs(gpu: Gpu, c: DecodeCase, headDim: number, kvStorage: StoredPrecision, seed: number): DecodeRun {
  const batch = c.lengths?.length ?? 1;
  const shape = { batch, kvLen: c.kvLen, nHeads: NHEADS, nKvHeads: NKV_HEADS, headDim };
  const full = { ...shape, qLen: c.kvLen };
  const kv = randomAttentionInputs(full, seed, kvStorage);
  const maxCtx = c.kvLen + 11;
  const buffers = {
    q: gpu.upload(randomAttentionInputs({ ...shape, qLen: 1 }, seed + 1).q, { label: 'q' }),
    k: uploadStored(gpu, toCacheLayout(kv.k, full, maxCtx, seed + 7), kvStorage, 'K cache'),
    v: uploadStored(gpu, toCacheLayout(kv.v, full, maxCtx, seed + 8), kvStorage, 'V cache'),
    lengths: c.lengths && gpu.upload(new Uint32Array(c.lengths), { label: 'lengths' }),
    partials: gpu.alloc(attentionDecodeScratchBytes(shape), { label: 'partials' }),
  };
  const owned = [buffers.q, buffers.k, buffers.v, buffers.partials, ...(buffers.lengths ? [buffers.lengths] : [])];
  return { shape, kvStorage, owned, buffers };
}

/** Seeded random words: what a never-written word of XQ holds. */
function randomWords(count: number, seed: number): Uint32Array {
  const next = seededRandom(seed);
  return Uint32Array.from({ length: count }, () => Math.floor(next() * 2 ** 32));
}

async function readWords(gpu: Gpu, buffer: TrackedBuffer, count: number): Promise<Uint32Array> {
  return new Uint32Array(await gpu.read(buffer, count * 4));
}

function expectSameWords(got: Uint32Array, want: Uint32Array, rowWords: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  const at = got.findIndex((w, i) => w !== want[i]);
  if (at >= 0) {
    const row = Math.floor(at / rowWords);
    expect.fail(`${what}: row ${row} word ${at - row * rowWords} is ${got[at]}, expected ${want[at]}`);
  }
}

/**
 * Decodes once plainly and once with `quantizedOut`, then quantizes the second run's O with quantizeActivations:
 * both O equal bit for bit, both XQ word for word, and the option adds no dispatch.
 */
async function expectQuantizedOutMatchesQuantizeActivations(
  c: DecodeCase,
  headDim: number,
  kvStorage: StoredPrecision,
  seed: number,
  threads?: number,
) {
  const gpu = await testGpu();
  const run = decodeInputs(gpu, c, headDim, kvStorage, seed);
  const batch = run.shape.batch ?? 1;
  const K = NHEADS * headDim;
  const xqWords = quantizedActivationBytes(batch, K) / 4;
  const options = { kvLayout: { kind: 'cache' as const, maxCtx: c.kvLen + 11 }, kvStorage, threads };
  const plainOut = gpu.alloc(batch * K * 4, { label: 'O plain' });
  const out = gpu.alloc(batch * K * 4, { label: 'O' });
  const xq = gpu.upload(randomWords(xqWords, seed + 20), { label: 'XQ from the decode' });
  const reference = gpu.upload(randomWords(xqWords, seed + 21), { label: 'XQ from quantizeActivations' });
  try {
    const plain = gpu.recorder();
    attentionDecode(plain, { ...run.buffers, out: plainOut }, run.shape, options);
    const quantized = gpu.recorder();
    attentionDecode(quantized, { ...run.buffers, out, quantizedOut: xq }, run.shape, options);
    expect(quantized.dispatchCount, 'quantizing adds no dispatch').toBe(plain.dispatchCount);
    plain.submit();
    quantized.submit();
    const separately = gpu.recorder();
    quantizeActivations(separately, out, reference, { M: batch, K }, { label: 'attention output' });
    separately.submit();

    const context = `seed ${seed}, ${JSON.stringify(c)}, head dim ${headDim}, ${kvStorage} cache${threads ? `, ${threads} threads` : ''}`;
    expectSameWords(
      await readWords(gpu, out, batch * K),
      await readWords(gpu, plainOut, batch * K),
      K,
      `O with vs without quantizedOut, ${context}`,
    );
    const rowWords = quantizedActivationWords(K);
    expectSameWords(
      await readWords(gpu, xq, xqWords),
      await readWords(gpu, reference, xqWords),
      rowWords,
      `XQ vs quantizeActivations(O), ${context}`,
    );
  } finally {
    for (const t of [...run.owned, plainOut, out, xq, reference]) gpu.buffers.free(t);
  }
}

describe.each(STORED_PRECISIONS)('attention decode writing its output also quantized to 8 bits (%s cache)', (kvStorage) => {
  CASES.forEach(({ name, c }, i) => {
    it(`${name}: XQ is quantizeActivations of O, O unchanged, at head dims 32, 64 and 128`, async () => {
      for (const [j, headDim] of [32, 64, 128].entries()) {
        await expectQuantizedOutMatchesQuantizeActivations(c, headDim, kvStorage, 700 + 10 * i + j);
      }
    });
  });

  // 1 thread quantizes all of a head's blocks; 64 leave most threads without a block.
  for (const threads of [1, 64]) {
    it(`one chunk with ${threads} threads per workgroup`, async () => {
      await expectQuantizedOutMatchesQuantizeActivations({ kvLen: 70, lengths: [70, 33] }, 128, kvStorage, 750, threads);
    });
  }
});

describe('attention decode quantizedOut checks', () => {
  const shape = { batch: 2, kvLen: 10, nHeads: NHEADS, nKvHeads: NKV_HEADS, headDim: 64 };

  it('says which head dims hold whole 32-value blocks', () => {
    expect([8, 16, 32, 64, 128].filter((headDim) => attentionDecodeQuantizes({ headDim }))).toEqual([32, 64, 128]);
  });

  async function decodeError(s: AttentionDecodeShape, xqBytes: number): Promise<unknown> {
    const gpu = await testGpu();
    const run = decodeInputs(gpu, { kvLen: s.kvLen, lengths: [s.kvLen, 1] }, s.headDim, 'f32', 760);
    const out = gpu.alloc((s.batch ?? 1) * s.nHeads * s.headDim * 4, { label: 'O' });
    const xq = gpu.alloc(xqBytes, { label: 'XQ' });
    try {
      attentionDecode(gpu.recorder(), { ...run.buffers, out, quantizedOut: xq }, run.shape, {
        kvLayout: { kind: 'cache', maxCtx: s.kvLen + 11 },
        kvStorage: 'f32',
      });
      return undefined;
    } catch (e) {
      return e;
    } finally {
      for (const t of [...run.owned, out, xq]) gpu.buffers.free(t);
    }
  }

  it('rejects a head dim that is not a multiple of 32', async () => {
    const error = await decodeError({ ...shape, headDim: 16 }, quantizedActivationBytes(2, NHEADS * 16) + 64);
    expect(error).toBeInstanceOf(LabError);
    expect(String(error)).toMatch(/head dim 16 is not a multiple of 32/);
  });

  it('rejects a quantizedOut binding smaller than the quantized rows', async () => {
    const need = quantizedActivationBytes(2, NHEADS * 64);
    const error = await decodeError(shape, need - 4);
    expect(error).toBeInstanceOf(LabError);
    expect(String(error)).toMatch(new RegExp(`binding of ${need - 4} bytes for 2 quantized rows of 256 values \\(${need} bytes\\)`));
    expect(await decodeError(shape, need)).toBeUndefined();
  });
});

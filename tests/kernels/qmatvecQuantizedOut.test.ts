import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import type { Gpu } from '../../src/gpu/gpu';
import type { TrackedBuffer } from '../../src/gpu/allocator';
import { randomF32 } from '../../src/util/random';
import { matvecQuantizesOutput, matvecScratchBytes, quantizedMatmul, type MatvecDot } from '../../src/kernels/qmatmul';
import { stackedSwiglu } from '../../src/kernels/qmatvecStacked';
import { quantizeActivations } from '../../src/kernels/quantizeActivations';
import { freeQuantizedWeight, type QuantFormat } from '../../src/kernels/quantWeight';
import { LabError } from '../../src/errors';
import { TEST_K, expectBitExact, testStack, testWeight } from './qfixtures';

// A matvec that also writes its output rows quantized to 8 bits (shaders/qmatvec.wgsl `mainQuantizing`), for the
// next product's integer dot product in place of a quantize_activations dispatch. Its contract: the output is the
// plain matvec's bit for bit, the quantized rows are exactly what quantizeActivations writes for that output (with the
// next norm's weight where given), and a product reading them (`quantizedX`) gives the bits of one that quantizes
// its input itself.

const EPS = 1e-5;
/**
 * Output columns: two 32-column blocks (two workgroups, each quantizing its own block of every row), or for the
 * K-quants, whose rows are whole 256-value super-blocks, the next product's K = 256.
 */
function outputColumns(format: QuantFormat): number {
  return format === 'Q4_K' || format === 'Q6_K' ? 256 : 64;
}
const N = 64;
/** The next product's output columns. */
const N_NEXT = 12;

function words(gpu: Gpu, buffer: TrackedBuffer): Promise<Uint32Array> {
  return gpu.readF32(buffer, buffer.bytes / 4).then((f) => new Uint32Array(f.buffer));
}

function expectWords(got: Uint32Array, want: Uint32Array, context: string): void {
  expect(got.length, context).toBe(want.length);
  for (let i = 0; i < got.length; i++)
    if (got[i] !== want[i]) expect.fail(`${context}: word ${i} is ${got[i]}, quantizeActivations wrote ${want[i]}`);
}

interface Case {
  format: QuantFormat;
  M: number;
  K?: number;
  accumulate?: boolean;
  normIn?: boolean;
  normOut?: boolean;
  dot?: MatvecDot;
}

function describeCase(c: Case): string {
  const parts = [`${c.format} K=${c.K ?? TEST_K[c.format]} M=${c.M}`];
  if (c.dot) parts.push(c.dot);
  if (c.accumulate) parts.push('accumulating');
  if (c.normIn) parts.push('norm prologue');
  if (c.normOut) parts.push("the next norm's weight");
  return parts.join(', ');
}

/**
 * Y = X·Wᵀ (+ Y) twice, plainly and quantizing its output; then quantizeActivations over the plain Y, and the next
 * product (with the next norm where `normOut`) once from the quantized output and once quantizing the plain Y itself.
 */
async function runPlain(c: Case, seed: number): Promise<void> {
  const gpu = await testGpu();
  const { M, format } = c;
  const N = outputColumns(format);
  const K = c.K ?? TEST_K[format];
  const { weight } = testWeight(gpu, format, N, K, seed);
  const next = testWeight(gpu, format, N_NEXT, N, seed + 1).weight;
  const start = randomF32(M * N, seed + 2);
  const buffers = {
    x: gpu.upload(randomF32(M * K, seed + 3), { label: 'X' }),
    normIn: gpu.upload(randomF32(K, seed + 4), { label: 'norm weight' }),
    normOut: gpu.upload(randomF32(N, seed + 5), { label: 'next norm weight' }),
    plain: gpu.upload(start, { label: 'Y (plain)' }),
    quantizing: gpu.upload(start, { label: 'Y (quantizing)' }),
    scratchIn: gpu.alloc(matvecScratchBytes(M, K), { label: 'XQ in' }),
    quantizedOut: gpu.alloc(matvecScratchBytes(M, N), { label: 'XQ out' }),
    quantizedRef: gpu.alloc(matvecScratchBytes(M, N), { label: 'XQ of the plain Y' }),
    scratchNext: gpu.alloc(matvecScratchBytes(M, N), { label: 'XQ next' }),
    nextFromOut: gpu.alloc(M * N_NEXT * 4, { label: 'next (from the quantized output)' }),
    nextAlone: gpu.alloc(M * N_NEXT * 4, { label: 'next (quantizing itself)' }),
  };
  try {
    const rec = gpu.recorder();
    const norm = c.normIn ? { weight: buffers.normIn, eps: EPS } : undefined;
    const options = { M, accumulate: c.accumulate, norm, matvecDot: c.dot, activationScratch: buffers.scratchIn };
    quantizedMatmul(rec, buffers.x, weight, buffers.plain, options);
    const normWeight = c.normOut ? buffers.normOut : undefined;
    quantizedMatmul(rec, buffers.x, weight, buffers.quantizing, { ...options, quantizedOut: { xq: buffers.quantizedOut, normWeight } });
    quantizeActivations(rec, buffers.plain, buffers.quantizedRef, { M, K: N }, { normWeight, label: 'reference' });
    const nextNorm = c.normOut ? { weight: buffers.normOut, eps: EPS } : undefined;
    const nextOptions = { M, norm: nextNorm, matvecDot: c.dot };
    quantizedMatmul(rec, buffers.quantizing, next, buffers.nextFromOut, { ...nextOptions, quantizedX: buffers.quantizedOut });
    quantizedMatmul(rec, buffers.plain, next, buffers.nextAlone, { ...nextOptions, activationScratch: buffers.scratchNext });
    rec.submit();
    const what = describeCase(c);
    expectBitExact(await gpu.readF32(buffers.quantizing, M * N), await gpu.readF32(buffers.plain, M * N), `${what}: Y`);
    expectWords(await words(gpu, buffers.quantizedOut), await words(gpu, buffers.quantizedRef), `${what}: quantized Y`);
    const fromOut = await gpu.readF32(buffers.nextFromOut, M * N_NEXT);
    expectBitExact(fromOut, await gpu.readF32(buffers.nextAlone, M * N_NEXT), `${what}: the next product`);
    expect(
      fromOut.some((v) => v !== 0),
      `${what}: the next product is not all zeros`,
    ).toBe(true);
  } finally {
    for (const b of Object.values(buffers)) gpu.buffers.free(b);
    freeQuantizedWeight(gpu, weight);
    freeQuantizedWeight(gpu, next);
  }
}

describe('a matvec quantizing its output for the next product', () => {
  it('is one a CPU adapter takes for whole 32-column blocks of one part only', async () => {
    const rec = (await testGpu()).recorder();
    expect(matvecQuantizesOutput(rec, 64)).toBe(true);
    expect(matvecQuantizesOutput(rec, 40)).toBe(false);
    expect(matvecQuantizesOutput(rec, 64, 2)).toBe(false);
  });

  const cases: Case[] = [
    { format: 'Q4_0', M: 1 },
    { format: 'Q4_0', M: 3, K: 128, accumulate: true, normOut: true },
    { format: 'Q4_0', M: 8, normIn: true, normOut: true, dot: 'i8-packed' },
    { format: 'Q8_0', M: 2, accumulate: true, normOut: true },
    { format: 'Q8_0', M: 5, K: 128, normIn: true },
    { format: 'Q4_K', M: 1, normIn: true, normOut: true },
    { format: 'Q4_K', M: 7, accumulate: true },
    { format: 'Q6_K', M: 3, accumulate: true, normOut: true },
    { format: 'Q6_K', M: 8, normIn: true, dot: 'i8-packed' },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${describeCase(c)}: the plain output, quantizeActivations' words, the next product's bits`, async () => {
      await runPlain(c, 3100 + 10 * i);
    }, 60_000);
  }

  it('over a stacked gate and up: SwiGLU as without, hidden quantized for the down projection (M = 1, 4, 8)', async () => {
    const gpu = await testGpu();
    for (const [format, M] of [
      ['Q4_0', 1],
      ['Q4_K', 4],
      ['Q6_K', 8],
    ] as const) {
      const K = TEST_K[format];
      const seed = 3200 + M;
      const { stack, alone } = testStack(gpu, format, [N, N], K, seed);
      const buffers = {
        x: gpu.upload(randomF32(M * K, seed + 2), { label: 'X' }),
        normIn: gpu.upload(randomF32(K, seed + 3), { label: 'norm weight' }),
        scratch: gpu.alloc(matvecScratchBytes(M, K), { label: 'XQ in' }),
        plain: gpu.alloc(M * N * 4, { label: 'hidden (plain)' }),
        quantizing: gpu.alloc(M * N * 4, { label: 'hidden (quantizing)' }),
        quantizedOut: gpu.alloc(matvecScratchBytes(M, N), { label: 'XQ out' }),
        quantizedRef: gpu.alloc(matvecScratchBytes(M, N), { label: 'XQ of the plain hidden' }),
      };
      try {
        const rec = gpu.recorder();
        const options = { M, norm: { weight: buffers.normIn, eps: EPS }, activationScratch: buffers.scratch };
        stackedSwiglu(rec, buffers.x, stack, buffers.plain, options);
        stackedSwiglu(rec, buffers.x, stack, buffers.quantizing, { ...options, quantizedOut: { xq: buffers.quantizedOut } });
        quantizeActivations(rec, buffers.plain, buffers.quantizedRef, { M, K: N }, { label: 'reference' });
        rec.submit();
        const what = `${format} M=${M}`;
        const plain = await gpu.readF32(buffers.plain, M * N);
        expect(
          plain.some((v) => v !== 0),
          `${what}: hidden is not all zeros`,
        ).toBe(true);
        expectBitExact(await gpu.readF32(buffers.quantizing, M * N), plain, `${what}: hidden`);
        expectWords(await words(gpu, buffers.quantizedOut), await words(gpu, buffers.quantizedRef), `${what}: quantized hidden`);
      } finally {
        for (const b of [...Object.values(buffers), stack.buffer]) gpu.buffers.free(b);
        for (const w of alone) freeQuantizedWeight(gpu, w.weight);
      }
    }
  }, 120_000);

  it('refuses what it cannot hand over, saying what and where', async () => {
    const gpu = await testGpu();
    const M = 2;
    const K = TEST_K.Q4_0;
    const odd = testWeight(gpu, 'Q4_0', 40, K, 3300).weight;
    const { weight } = testWeight(gpu, 'Q4_0', N, K, 3301);
    const x = gpu.upload(randomF32(M * K, 3302), { label: 'X' });
    const y = gpu.alloc(M * N * 4, { label: 'Y' });
    const small = gpu.alloc(matvecScratchBytes(M, N) - 4, { label: 'XQ too small' });
    const xq = gpu.alloc(matvecScratchBytes(M, N), { label: 'XQ' });
    const bias = gpu.alloc(N * 4, { label: 'bias' });
    try {
      const rec = gpu.recorder();
      expect(() => quantizedMatmul(rec, x, odd, y, { M, quantizedOut: { xq } })).toThrow(/40 columns/);
      expect(() => quantizedMatmul(rec, x, weight, y, { M, quantizedOut: { xq: small } })).toThrow(/bytes/);
      expect(() => quantizedMatmul(rec, x, weight, y, { M, quantizedOut: { xq }, epilogue: { kind: 'bias', bias } })).toThrow(
        /bias epilogue/,
      );
      expect(() => quantizedMatmul(rec, x, weight, y, { M, quantizedX: xq, matvecDot: 'f32' })).toThrow(/f32 dot product/);
      expect(() => quantizedMatmul(rec, x, weight, y, { M: 9, quantizedX: xq })).toThrow(LabError);
    } finally {
      for (const b of [x, y, small, xq, bias]) gpu.buffers.free(b);
      freeQuantizedWeight(gpu, odd);
      freeQuantizedWeight(gpu, weight);
    }
  });
});

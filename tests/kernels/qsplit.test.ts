import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { LabError } from '../../src/errors';
import { quantize } from '../../src/formats/quant';
import { randomF32 } from '../../src/util/random';
import {
  allocateQuantizedWeight,
  freeQuantizedWeight,
  planRowSplit,
  rowByteLength,
  uploadQuantizedWeight,
  writeQuantizedWeightBytes,
} from '../../src/kernels/quantWeight';
import { expectAllClose } from './compare';
import { sumTolerance } from './qfixtures';
import { runBackward, runForward } from './qrun';

describe('weights larger than one storage binding', () => {
  it('plans row runs that each fit the limit with room for the padding word', () => {
    expect(planRowSplit(70, 144, 4096)).toEqual([
      { rowStart: 0, rows: 28 },
      { rowStart: 28, rows: 28 },
      { rowStart: 56, rows: 14 },
    ]);
    expect(planRowSplit(5, 144, 1 << 30)).toEqual([{ rowStart: 0, rows: 5 }]);
  });

  it('gives parts an even row count when rows are not whole words, so every part starts on a word', () => {
    // Q4_0 rows of 96 values are 54 bytes: 75 would fit in 4 KiB, 74 keep part starts 4-byte aligned.
    const parts = planRowSplit(200, 54, 4096);
    expect(parts.map((p) => p.rows)).toEqual([74, 74, 52]);
    for (const p of parts) expect((p.rowStart * 54) % 4).toBe(0);
  });

  it('refuses a row larger than the binding limit, saying what to do', () => {
    expect(() => planRowSplit(4, 5000, 4096, 'blk.0.ffn_up.weight')).toThrow(LabError);
    expect(() => planRowSplit(4, 5000, 4096, 'blk.0.ffn_up.weight')).toThrow(/blk\.0\.ffn_up\.weight.*5000 bytes/);
    // 54-byte rows: one fits in 100 bytes, but a part boundary after one row would not fall on a word.
    expect(() => planRowSplit(4, 54, 100)).toThrow(/two rows/);
    expect(planRowSplit(1, 54, 100)).toEqual([{ rowStart: 0, rows: 1 }]);
  });

  it('refuses row lengths that are not a whole number of blocks', () => {
    expect(rowByteLength('Q4_K', 512)).toBe(288);
    expect(rowByteLength('Q4_0', 96)).toBe(54);
    expect(() => rowByteLength('Q4_K', 96)).toThrow(/multiple of 256/);
    expect(() => rowByteLength('F32', 12)).toThrow(/multiple of 8/);
  });

  it('refuses tensor bytes that do not match the shape', async () => {
    const gpu = await testGpu();
    const bytes = quantize('Q8_0', randomF32(64, 1));
    expect(() => uploadQuantizedWeight(gpu, { format: 'Q8_0', N: 3, K: 32, bytes, label: 'output.weight' })).toThrow(/68 bytes but 3 rows/);
  });

  it('uploads each part as its own buffer of whole rows', async () => {
    const gpu = await testGpu();
    const bytes = quantize('Q4_0', randomF32(70 * 256, 2));
    const weight = uploadQuantizedWeight(gpu, { format: 'Q4_0', N: 70, K: 256, bytes, label: 'w', maxBindingBytes: 4096 });
    expect(weight.parts.map((p) => [p.rowStart, p.rows])).toEqual([
      [0, 28],
      [28, 28],
      [56, 14],
    ]);
    for (const part of weight.parts) expect(part.buffer.bytes).toBeLessThanOrEqual(4096);
    const second = new Uint8Array(await gpu.read(weight.parts[1].buffer, 28 * 144));
    expect(second).toEqual(bytes.subarray(28 * 144, 56 * 144));
    for (const part of weight.parts) gpu.buffers.free(part.buffer);
  });

  it('streams a tensor in word-multiple chunks that straddle part boundaries', async () => {
    const gpu = await testGpu();
    const N = 200;
    const bytes = quantize('Q4_0', randomF32(N * 96, 3));
    const weight = allocateQuantizedWeight(gpu, { format: 'Q4_0', N, K: 96, label: 'streamed', maxBindingBytes: 4096 });
    const chunk = 1000; // not a divisor of the 3996-byte parts
    for (let at = 0; at < bytes.length; at += chunk) writeQuantizedWeightBytes(gpu, weight, at, bytes.subarray(at, at + chunk));
    for (const part of weight.parts) {
      const got = new Uint8Array(await gpu.read(part.buffer, part.rows * 54));
      expect(got, `part from row ${part.rowStart}`).toEqual(bytes.subarray(part.rowStart * 54, (part.rowStart + part.rows) * 54));
    }
    expect(() => writeQuantizedWeightBytes(gpu, weight, 2, bytes.subarray(2, 10))).toThrow(/multiples of 4/);
    freeQuantizedWeight(gpu, weight);
  });

  // 70 rows of Q4_0 K=256 (144 bytes each) under a 4 KiB limit: parts of 28, 28 and 14 rows.
  for (const kernel of ['matvec', 'tiled'] as const) {
    it(`forward (${kernel}) writes each part's slice of Y`, async () => {
      const seed = 1300 + (kernel === 'tiled' ? 1 : 0);
      const M = kernel === 'tiled' ? 9 : 2;
      const { got, want } = await runForward('Q4_0', kernel, { M, N: 70, K: 256 }, seed, { maxBindingBytes: 4096 });
      expectAllClose(got, want, sumTolerance(256), `split ${kernel} seed ${seed}`);
    });
  }

  it('backward sums every part’s contribution into dX, on top of an existing dX', async () => {
    const seed = 1302;
    const { got, want } = await runBackward('Q4_0', { M: 9, N: 70, K: 256 }, seed, { maxBindingBytes: 4096, accumulate: true });
    expectAllClose(got, want, sumTolerance(70), `split backward seed ${seed}`);
  });
});

import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { LabError } from '../../src/errors';
import { quantize } from '../../src/formats/quant';
import { randomF32 } from '../../src/util/random';
import { planRowSplit, rowByteLength, uploadQuantizedWeight } from '../../src/kernels/quantWeight';
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

  it('refuses a row larger than the binding limit, saying what to do', () => {
    expect(() => planRowSplit(4, 5000, 4096, 'blk.0.ffn_up.weight')).toThrow(LabError);
    expect(() => planRowSplit(4, 5000, 4096, 'blk.0.ffn_up.weight')).toThrow(/blk\.0\.ffn_up\.weight.*5000 bytes/);
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
    expect(weight.parts.map((p) => [p.rowStart, p.rows])).toEqual([[0, 28], [28, 28], [56, 14]]);
    for (const part of weight.parts) expect(part.buffer.bytes).toBeLessThanOrEqual(4096);
    const second = new Uint8Array(await gpu.read(weight.parts[1].buffer, 28 * 144));
    expect(second).toEqual(bytes.subarray(28 * 144, 56 * 144));
    for (const part of weight.parts) gpu.buffers.free(part.buffer);
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

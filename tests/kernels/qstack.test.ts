import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import { quantizedMatmul, quantizedMatmulBackward } from '../../src/kernels/qmatmul';
import { BINDING_OFFSET_ALIGN_BYTES, allocateStackedWeight, freeQuantizedWeight, stackedLayout } from '../../src/kernels/quantWeight';
import { LabError } from '../../src/errors';
import { TEST_K, expectBitExact, testStack } from './qfixtures';

// Stacked weights (q, k, v or gate, up in one buffer): each section is also a weight of its own, bound as a byte range
// of the buffer, which every quantized kernel must read as it reads the weight uploaded alone.

describe('stacked weights', () => {
  it('start each section on a bindable offset, after the last one’s rows and 4 spare bytes', () => {
    // Q4_0 rows of 96 values: 54 bytes.
    const { offsets, bytes } = stackedLayout([5, 3, 3].map((N) => ({ N, rowBytes: 54 })));
    expect(offsets).toEqual([0, 512, 768]);
    expect(offsets.every((o) => o % BINDING_OFFSET_ALIGN_BYTES === 0)).toBe(true);
    expect(offsets[1]).toBeGreaterThanOrEqual(5 * 54 + 4);
    expect(bytes).toBe(768 + 3 * 54 + 4);
  });

  it('give each section, bound alone, the bits of the weight uploaded alone in every forward and backward kernel', async () => {
    const gpu = await testGpu();
    const format = 'Q4_0';
    const K = TEST_K[format];
    const rows = [12, 7, 7];
    const { stack, alone } = testStack(gpu, format, rows, K, 1500);
    const M = 10;
    const bufX = gpu.upload(randomF32(M * K, 1510), { label: 'X' });
    const bufDy = gpu.upload(randomF32(M * 12, 1511), { label: 'dY' });
    const out = () => gpu.alloc(M * Math.max(K, 12) * 4, { label: 'out' });
    const bufs = [bufX, bufDy];
    try {
      for (const [s, section] of stack.sections.entries()) {
        const N = rows[s];
        for (const kernel of ['matvec', 'tiled', 'direct'] as const) {
          const [a, b] = [out(), out()];
          bufs.push(a, b);
          const rec = gpu.recorder();
          const m = kernel === 'matvec' ? 3 : M;
          quantizedMatmul(rec, bufX, section, a, { M: m, kernel });
          quantizedMatmul(rec, bufX, alone[s].weight, b, { M: m, kernel });
          rec.submit();
          const context = `section ${s} (byte ${section.parts[0].byteOffset}), ${kernel}`;
          expectBitExact(await gpu.readF32(a, m * N), await gpu.readF32(b, m * N), context);
        }
        const [a, b] = [out(), out()];
        bufs.push(a, b);
        const rec = gpu.recorder();
        quantizedMatmulBackward(rec, bufDy, section, a, { M });
        quantizedMatmulBackward(rec, bufDy, alone[s].weight, b, { M });
        rec.submit();
        expectBitExact(await gpu.readF32(a, M * K), await gpu.readF32(b, M * K), `section ${s}, backward`);
      }
    } finally {
      for (const b of [...bufs, stack.buffer]) gpu.buffers.free(b);
      for (const w of alone) freeQuantizedWeight(gpu, w.weight);
    }
  }, 60_000);

  it('refuses a stack larger than one binding', async () => {
    const gpu = await testGpu();
    const options = {
      K: 96,
      sections: [
        { N: 4, format: 'Q4_0' as const, label: 'a' },
        { N: 4, format: 'Q4_0' as const, label: 'b' },
      ],
      label: 'too big',
    };
    expect(() => allocateStackedWeight(gpu, { ...options, maxBindingBytes: 300 })).toThrow(LabError);
  });
});

import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { randomF32 } from '../../src/util/random';
import { packF16Pairs, unpackF16Pairs } from '../../src/kernels/f16Pairs';
import { packF16PairsReference, unpackF16PairsReference } from '../../src/kernels/reference/storedValues';
import { storedBytes } from '../../src/kernels/storedValues';
import { expectBitExact } from './qfixtures';

/** Random values over f16's whole range: ordinary, tiny (subnormal in f16), halfway cases, beyond ±65504. */
function awkwardValues(n: number, seed: number): Float32Array {
  const x = randomF32(n, seed, 4);
  const kinds = randomF32(n, seed + 1);
  for (let i = 0; i < n; i++) {
    if (kinds[i] > 0.8) x[i] *= 1e-6;
    else if (kinds[i] > 0.6)
      x[i] = (1 + (2 * (i % 512) + 1) / 2048) * 2 ** ((i % 9) - 4); // exactly between two f16s
    else if (kinds[i] < -0.9) x[i] *= 1e5;
  }
  return x;
}

async function packOnGpu(x: Float32Array): Promise<{ words: Uint32Array; back: Float32Array }> {
  const gpu = await testGpu();
  const input = gpu.upload(x, { label: 'x' });
  const words = gpu.alloc(storedBytes(x.length, 'f16-packed'), { label: 'words' });
  const out = gpu.alloc(x.length * 4, { label: 'x back' });
  const rec = gpu.recorder();
  packF16Pairs(rec, input, words, x.length);
  unpackF16Pairs(rec, words, out, x.length);
  rec.submit();
  const result = { words: await gpu.readU32(words, Math.ceil(x.length / 2)), back: await gpu.readF32(out, x.length) };
  for (const b of [input, words, out]) gpu.buffers.free(b);
  return result;
}

describe('f16 pairs (stored tensors: pack2x16float words of two values)', () => {
  it.each([1, 2, 7, 1000, 4097])('packs %i values to nearest f16, ties to even, clamped to ±65504, and unpacks them', async (n) => {
    const seed = 7100 + n;
    const x = awkwardValues(n, seed);
    const { words, back } = await packOnGpu(x);
    const want = packF16PairsReference(x);
    for (let i = 0; i < want.length; i++) {
      if (words[i] !== want[i])
        expect.fail(`seed ${seed}: word ${i} of (${x[2 * i]}, ${x[2 * i + 1]}) is ${words[i].toString(16)}, want ${want[i].toString(16)}`);
    }
    expectBitExact(back, unpackF16PairsReference(want, n), `unpacked, seed ${seed}`);
    // An odd count's last word carries nothing in its upper half.
    if (n % 2 === 1) expect(words[words.length - 1] >>> 16).toBe(0);
  });

  it('keeps every value to within half an f16 step (2^-11 relative) and ±65504 beyond range', async () => {
    const x = Float32Array.of(1, -2.5, 1 / 3, 70000, -1e9, 65504, 1e-3, 0);
    const { back } = await packOnGpu(x);
    expect(Array.from(back.subarray(3, 6))).toEqual([65504, -65504, 65504]);
    for (const i of [0, 1, 2, 6, 7]) expect(Math.abs(back[i] - x[i])).toBeLessThanOrEqual(Math.abs(x[i]) * 2 ** -11);
  });

  it('refuses an empty tensor', async () => {
    const gpu = await testGpu();
    const buf = gpu.alloc(16, { label: 'unused' });
    expect(() => packF16Pairs(gpu.recorder(), buf, buf, 0)).toThrow(/packF16Pairs: 0 values/);
    gpu.buffers.free(buf);
  });
});

import { describe, expect, it } from 'vitest';
import {
  BLOCK_LAYOUTS,
  bf16ToF32,
  dequantize,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  packScaleMin,
  quantize,
  unpackScaleMin,
  QUANTIZABLE_TYPES,
} from '../../src/formats/quant';
import { randomF32 } from '../../src/util/random';

const F16_ONE = 0x3c00;

describe('f16 conversion', () => {
  it('round-trips every one of the 65536 f16 bit patterns (NaNs stay NaN)', () => {
    let mismatches = 0;
    for (let bits = 0; bits < 65536; bits++) {
      const value = f16ToF32(bits);
      const back = f32ToF16(value);
      if (Number.isNaN(value) ? (back & 0x7c00) !== 0x7c00 || (back & 0x3ff) === 0 : back !== bits) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('decodes subnormals, the largest finite value and infinities exactly', () => {
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f16ToF32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(f16ToF32(0x0400)).toBe(2 ** -14);
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(f16ToF32(0xfc00)).toBe(-Infinity);
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
  });

  it('rounds to nearest with ties to even', () => {
    expect(f32ToF16(1 + 2 ** -11)).toBe(F16_ONE); // tie, 1.0 is even
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(F16_ONE + 2); // tie, rounds up to the even mantissa
    expect(f32ToF16(1 + 2 ** -11 + 2 ** -20)).toBe(F16_ONE + 1); // just above the tie
    expect(f32ToF16(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal
    expect(f32ToF16(1.5 * 2 ** -25)).toBe(1);
    expect(f32ToF16(3 * 2 ** -25)).toBe(2); // subnormal tie, rounds to even
    expect(f32ToF16(-(2 ** -26))).toBe(0x8000);
  });

  it('overflows to infinity only at 65520 and above', () => {
    expect(f32ToF16(65519.99)).toBe(0x7bff);
    expect(f32ToF16(65520)).toBe(0x7c00);
    expect(f32ToF16(-1e10)).toBe(0xfc00);
    expect(f32ToF16(Infinity)).toBe(0x7c00);
    expect(f32ToF16(1023.5 * 2 ** -24)).toBe(0x0400); // a subnormal tie carries into the smallest normal
  });

  it('bf16 keeps the top half of an f32, rounding ties to even', () => {
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80);
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(bf16ToF32(f32ToBf16(-3.140625))).toBe(-3.140625);
  });
});

describe('block layouts decode as documented', () => {
  it('Q8_0: f16 scale then 32 signed bytes', () => {
    const block = new Uint8Array(34);
    new DataView(block.buffer).setUint16(0, f32ToF16(0.5), true);
    block[2] = 0x80; // -128
    block[3] = 127;
    block[33] = 0xff; // -1
    const x = dequantize('Q8_0', block, 32);
    expect([x[0], x[1], x[2], x[31]]).toEqual([-64, 63.5, 0, -0.5]);
  });

  it('Q4_0: value j is the low nibble of byte j, value j+16 the high nibble, minus 8', () => {
    const block = new Uint8Array(18);
    new DataView(block.buffer).setUint16(0, F16_ONE, true);
    block[2] = 0x1f; // value 0 = 15 - 8, value 16 = 1 - 8
    block[17] = 0x80; // value 15 = 0 - 8, value 31 = 8 - 8
    const x = dequantize('Q4_0', block, 32);
    expect([x[0], x[16], x[15], x[31], x[1]]).toEqual([7, -7, -8, 0, -8]);
  });

  it('K-quant scales: the 12-byte packing round-trips every 6-bit scale and min in every slot', () => {
    const bytes = new Uint8Array(12);
    for (let v = 0; v < 64; v++) {
      const sc = Array.from({ length: 8 }, (_, j) => (v + 7 * j) % 64);
      const m = Array.from({ length: 8 }, (_, j) => (63 - v + 5 * j) % 64);
      packScaleMin(bytes, 0, sc, m);
      for (let j = 0; j < 8; j++) expect(unpackScaleMin(bytes, 0, j)).toEqual({ sc: sc[j], m: m[j] });
    }
  });

  it('Q4_K: d, dmin, packed scales, then 4 chunks of 32 bytes (low nibbles: even sub-block, high: odd)', () => {
    const block = new Uint8Array(144);
    const view = new DataView(block.buffer);
    view.setUint16(0, f32ToF16(0.5), true); // d
    view.setUint16(2, f32ToF16(0.25), true); // dmin
    const sc = [1, 2, 3, 4, 5, 6, 7, 63];
    const m = [0, 1, 2, 3, 4, 5, 6, 40];
    packScaleMin(block, 4, sc, m);
    block[16 + 0] = 0x3a; // chunk 0, l 0: value 0 (sub-block 0) q 10, value 32 (sub-block 1) q 3
    block[16 + 96 + 31] = 0xf1; // chunk 3, l 31: value 223 (sub-block 6) q 1, value 255 (sub-block 7) q 15
    const x = dequantize('Q4_K', block, 256);
    expect(x[0]).toBe(0.5 * 1 * 10 - 0);
    expect(x[32]).toBe(0.5 * 2 * 3 - 0.25 * 1);
    expect(x[223]).toBe(0.5 * 7 * 1 - 0.25 * 6);
    expect(x[255]).toBe(0.5 * 63 * 15 - 0.25 * 40);
    expect(x[1]).toBe(0);
  });

  it('Q6_K: ql, qh, int8 scales, then d last; four quants share one qh byte', () => {
    const block = new Uint8Array(210);
    const view = new DataView(block.buffer);
    view.setUint16(208, f32ToF16(0.5), true);
    for (let s = 0; s < 16; s++) view.setInt8(192 + s, s % 2 ? -(s + 1) : s + 1);
    // Half 1, l = 17 (so scale index 8 + 1 + {0,2,4,6}): quants 1, 2, 3 and 4 with high bits 0, 1, 2, 3.
    block[64 + 17] = (0x3 << 4) | 0x1; // value 145 low nibble 1, value 209 low nibble 3
    block[64 + 32 + 17] = (0xf << 4) | 0x2; // value 177 low nibble 2, value 241 low nibble 15
    block[128 + 32 + 17] = (0 << 0) | (1 << 2) | (2 << 4) | (3 << 6);
    const x = dequantize('Q6_K', block, 256);
    const scale = (s: number) => (s % 2 ? -(s + 1) : s + 1);
    expect(x[128 + 17]).toBe(0.5 * scale(9) * (1 - 32));
    expect(x[128 + 17 + 32]).toBe(0.5 * scale(11) * (2 + 16 - 32));
    expect(x[128 + 17 + 64]).toBe(0.5 * scale(13) * (3 + 32 - 32));
    expect(x[128 + 17 + 96]).toBe(0.5 * scale(15) * (15 + 48 - 32));
    expect(x[0]).toBe(0.5 * scale(0) * -32);
  });

  it('exports the block geometry of the formats the kernels read', () => {
    expect(BLOCK_LAYOUTS.F32).toEqual({ blockElements: 1, blockBytes: 4 });
    expect(BLOCK_LAYOUTS.F16).toEqual({ blockElements: 1, blockBytes: 2 });
    expect(BLOCK_LAYOUTS.Q8_0).toEqual({ blockElements: 32, blockBytes: 34 });
    expect(BLOCK_LAYOUTS.Q4_0).toEqual({ blockElements: 32, blockBytes: 18 });
    expect(BLOCK_LAYOUTS.Q4_K).toEqual({ blockElements: 256, blockBytes: 144 });
    expect(BLOCK_LAYOUTS.Q6_K).toEqual({ blockElements: 256, blockBytes: 210 });
  });
});

describe('reference quantisers', () => {
  const seed = 20240611;
  const values = randomF32(4096, seed, 2);
  // Bound on RMS error relative to the RMS of uniform data: a few times the format's step size.
  const bounds: Record<(typeof QUANTIZABLE_TYPES)[number], number> = {
    F32: 0,
    F16: 5e-4,
    Q8_0: 0.01,
    Q6_K: 0.03,
    Q4_K: 0.12,
    Q4_0: 0.15,
  };

  it.each(QUANTIZABLE_TYPES)(`%s round-trips uniform data within its error bound (seed ${seed})`, (type) => {
    const back = dequantize(type, quantize(type, values), values.length);
    let err = 0,
      norm = 0;
    for (let i = 0; i < values.length; i++) {
      err += (back[i] - values[i]) ** 2;
      norm += values[i] ** 2;
    }
    expect(Math.sqrt(err / norm)).toBeLessThanOrEqual(bounds[type]);
  });

  it.each(QUANTIZABLE_TYPES)('%s encodes an all-zero input as zeros', (type) => {
    const zeros = new Float32Array(512);
    expect(dequantize(type, quantize(type, zeros), 512).every((v) => v === 0)).toBe(true);
  });

  it('Q4_0 maps the largest-magnitude value of a block exactly onto q = 0', () => {
    const x = new Float32Array(32).fill(1);
    x[5] = -4;
    const back = dequantize('Q4_0', quantize('Q4_0', x), 32);
    expect(back[5]).toBe(-4);
  });

  it('refuses a value count that is not a whole number of blocks', () => {
    expect(() => quantize('Q4_K', new Float32Array(255))).toThrow(/not a multiple of the block size 256/);
    expect(() => dequantize('Q8_0', new Uint8Array(34), 33)).toThrow(/not a multiple of the block size 32/);
    expect(() => dequantize('Q8_0', new Uint8Array(33), 32)).toThrow(/need 34 bytes, got 33/);
  });
});

import { describe, expect, it } from 'vitest';
import { dequantize, quantize } from '../../src/formats/quant';
import { seededRandom } from '../../src/util/random';
import { ggmlDequantize, ggmlQuantize } from './ggmlNative';

/**
 * Our quantisers and decoders against ggml's own (`quantize_row_*_ref`, `dequantize_row_*`,
 * `ggml_fp32_to_fp16_row`) from the libggml-base.so that node-llama-cpp runs: bytes and decoded values must be
 * identical, bit for bit, on data shaped to reach every branch (zero, constant, all-positive, tiny, huge, outliers).
 */
function testData(seed: number, blocks: number): Float32Array {
  const next = seededRandom(seed);
  const out = new Float32Array(blocks * 256);
  for (let b = 0; b < blocks; b++) {
    const kind = b % 8;
    const scale = [1, 1e-3, 1e4, 1, 1, 1e-30, 3, 0.02][kind];
    for (let i = 0; i < 256; i++) {
      const u = next() * 2 - 1;
      let v = u * scale;
      if (kind === 1 && i % 32 === 0) v = 0;
      if (kind === 3) v = Math.abs(v) + 0.5; // all positive: the "min > 0" branches
      if (kind === 4) v = i < 128 ? 0 : 0.25; // zero and constant sub-blocks
      if (kind === 6 && next() < 0.02) v *= 40; // rare outliers
      if (kind === 7) v = Math.sign(u) * u * u * scale; // peaked distribution
      out[b * 256 + i] = v;
    }
  }
  return out;
}

function sameBits(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let differing = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) differing++;
  return differing;
}

function differingBytes(a: Uint8Array, b: Uint8Array): number {
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++;
  return n;
}

const SEED = 0x5eed;
const DATA = testData(SEED, 64);

describe(`our reference quantisers equal llama.cpp's byte for byte (seed ${SEED}, 16384 values)`, () => {
  it.each(['F16', 'Q8_0', 'Q4_0', 'Q4_K', 'Q6_K'] as const)('%s', (type) => {
    expect(differingBytes(quantize(type, DATA), ggmlQuantize(type, DATA))).toBe(0);
  });
});

describe("our decoders equal llama.cpp's bit for bit", () => {
  it.each(['F16', 'Q8_0', 'Q4_0', 'Q4_K', 'Q6_K'] as const)('%s, on blocks from our quantiser', (type) => {
    const bytes = quantize(type, DATA);
    expect(sameBits(dequantize(type, bytes, DATA.length), ggmlDequantize(type, bytes, DATA.length))).toBe(0);
  });

  it.each(['Q4_1', 'Q5_0', 'Q5_1', 'Q5_K'] as const)("%s, on blocks from llama.cpp's quantiser", (type) => {
    const bytes = ggmlQuantize(type, DATA);
    expect(sameBits(dequantize(type, bytes, DATA.length), ggmlDequantize(type, bytes, DATA.length))).toBe(0);
  });

  it.each(['Q8_0', 'Q4_0', 'Q4_K', 'Q6_K'] as const)('%s, on random block bytes (any scale and quant bits)', (type) => {
    const next = seededRandom(SEED + 1);
    const bytes = quantize(type, DATA);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
    // Random f16 scales include NaN/Inf patterns; keep the comparison to finite results on both sides.
    const ours = dequantize(type, bytes, DATA.length);
    const theirs = ggmlDequantize(type, bytes, DATA.length);
    let differing = 0;
    for (let i = 0; i < ours.length; i++) {
      if (Number.isNaN(ours[i]) && Number.isNaN(theirs[i])) continue;
      if (!Object.is(ours[i], theirs[i])) differing++;
    }
    expect(differing).toBe(0);
  });
});

describe('f16 conversion equals ggml_fp32_to_fp16_row', () => {
  it(`on 65536 random finite f32 bit patterns across all exponents (seed ${SEED})`, () => {
    const next = seededRandom(SEED);
    const bits = new Uint32Array(65536);
    for (let i = 0; i < bits.length; i++) {
      let b: number;
      do b = Math.floor(next() * 2 ** 32);
      while (((b >>> 23) & 0xff) === 0xff);
      bits[i] = b;
    }
    const values = new Float32Array(bits.buffer);
    expect(differingBytes(quantize('F16', values), ggmlQuantize('F16', values))).toBe(0);
  });
});

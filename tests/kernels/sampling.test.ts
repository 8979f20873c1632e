import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { argmax, sampleTop, type SamplingOptions } from '../../src/kernels/sampling';
import { argmaxReference, nucleusReference, sampleTopReference } from '../../src/kernels/reference/sampling';
import { randomF32, seededRandom } from '../../src/util/random';

const gpu = await testGpu();

async function runArgmax(logits: Float32Array, rows: number, vocab: number): Promise<number[]> {
  const bl = gpu.upload(logits, { label: 'logits' });
  const bo = gpu.alloc(rows * 4, { label: 'out' });
  const rec = gpu.recorder();
  argmax(rec, { logits: bl, out: bo }, { rows, vocab });
  rec.submit();
  const out = Array.from(await gpu.readU32(bo, rows));
  gpu.buffers.free(bl);
  gpu.buffers.free(bo);
  return out;
}

/** Samples every row of `logits` [rows, vocab] with its own u. */
async function runSample(logits: Float32Array, vocab: number, u: Float32Array, options: SamplingOptions): Promise<number[]> {
  const rows = u.length;
  const bl = gpu.upload(logits, { label: 'logits' });
  const bu = gpu.upload(u, { label: 'u' });
  const bo = gpu.alloc(rows * 4, { label: 'out' });
  const rec = gpu.recorder();
  sampleTop(rec, { logits: bl, u: bu, out: bo }, { rows, vocab }, options);
  rec.submit();
  const out = Array.from(await gpu.readU32(bo, rows));
  [bl, bu, bo].forEach((b) => gpu.buffers.free(b));
  return out;
}

/**
 * A u whose token does not change within ±1e-4: GPU and reference sum the weights in different orders (f32 tree
 * versus f64 loop), so a u within rounding of a boundary between two tokens could fairly go either way. Tail tokens
 * of an untruncated distribution have weights far below f32 resolution of the total, so such u are skipped.
 */
function wellConditionedU(draw: () => number, row: Float32Array, options: SamplingOptions): number {
  for (;;) {
    const u = Math.fround(draw());
    if (sampleTopReference(row, options, Math.max(0, u - 1e-4)) === sampleTopReference(row, options, Math.min(u + 1e-4, 1 - 1e-9)))
      return u;
  }
}

/** Logits rounded to 1/8 so that ties are common, as with f16 or quantized heads. */
function tiedLogits(n: number, seed: number, scale: number): Float32Array {
  return randomF32(n, seed, scale).map((v) => Math.round(v * 8) / 8);
}

describe('argmax', () => {
  // Llama's 32000, an odd 32001, and tiny rows; several rows per dispatch.
  for (const [rows, vocab] of [
    [3, 32000],
    [2, 32001],
    [70, 3],
    [1, 1],
  ] as const) {
    it(`finds the largest logit for rows=${rows} vocab=${vocab}`, async () => {
      const seed = rows * 7 + vocab;
      const logits = randomF32(rows * vocab, seed, 10);
      const want = Array.from({ length: rows }, (_, r) => argmaxReference(logits.subarray(r * vocab, (r + 1) * vocab)));
      expect(await runArgmax(logits, rows, vocab), `seed ${seed}`).toEqual(want);
    });
  }

  it('breaks ties towards the lowest index, as llama.cpp greedy decoding', async () => {
    const vocab = 1000;
    const row = new Float32Array(vocab).fill(-1);
    // Ties placed in different threads' slices and the later ones in lower-numbered threads.
    row[700] = 5;
    row[301] = 5;
    row[999] = 5;
    expect(await runArgmax(row, 1, vocab)).toEqual([301]);
  });

  it('ignores NaN logits', async () => {
    expect(await runArgmax(new Float32Array([NaN, 1, NaN, 3, 2]), 1, 5)).toEqual([3]);
  });
});

describe('top-k / top-p sampling: exact token for given u', () => {
  const cases: { name: string; vocab: number; options: SamplingOptions; tied?: boolean }[] = [
    { name: 'temperature only', vocab: 1000, options: { temperature: 0.7 } },
    { name: 'top-k 40', vocab: 32001, options: { temperature: 0.8, topK: 40 } },
    { name: 'top-p 0.9', vocab: 4099, options: { temperature: 1, topP: 0.9 } },
    { name: 'top-k 50 then top-p 0.95', vocab: 32000, options: { temperature: 0.6, topK: 50, topP: 0.95 } },
    { name: 'ties everywhere, top-k cuts inside a tie', vocab: 777, options: { temperature: 1.3, topK: 17, topP: 0.8 }, tied: true },
    { name: 'top-k 1 is greedy', vocab: 500, options: { temperature: 2, topK: 1 }, tied: true },
    { name: 'top-p so small only the first token is left', vocab: 300, options: { temperature: 1, topP: 1e-6 }, tied: true },
    { name: 'top-k beyond the vocabulary keeps all', vocab: 5, options: { temperature: 1, topK: 10 } },
  ];
  for (const [i, c] of cases.entries()) {
    it(c.name, async () => {
      const seed = 1500 + i;
      const rows = 6;
      const logits = c.tied ? tiedLogits(rows * c.vocab, seed, 3) : randomF32(rows * c.vocab, seed, 12);
      const next = seededRandom(seed + 1);
      // u = 0 (the most likely token), then one draw in [0.95, 1) and the rest anywhere.
      const u = Float32Array.from({ length: rows }, (_, r) =>
        r === 0
          ? 0
          : wellConditionedU(() => (r === 1 ? 1 - next() * 0.05 : next()), logits.subarray(r * c.vocab, (r + 1) * c.vocab), c.options),
      );
      const want = Array.from({ length: rows }, (_, r) =>
        sampleTopReference(logits.subarray(r * c.vocab, (r + 1) * c.vocab), c.options, u[r]),
      );
      expect(await runSample(logits, c.vocab, u, c.options), `seed ${seed}, u ${Array.from(u)}`).toEqual(want);
    });
  }

  it('a Qwen2-sized row (vocab 151936) with top-k and top-p', async () => {
    const seed = 1550;
    const vocab = 151936;
    const logits = randomF32(vocab, seed, 15);
    const u = new Float32Array([0.4321]);
    const options = { temperature: 0.7, topK: 64, topP: 0.9 };
    expect(await runSample(logits, vocab, u, options), `seed ${seed}`).toEqual([sampleTopReference(logits, options, u[0])]);
  });

  it('temperature 0 is greedy and ignores u', async () => {
    const logits = randomF32(2 * 400, 1560, 5);
    const got = await runSample(logits, 400, new Float32Array([0.3, 0.9]), { temperature: 0, topK: 5 });
    expect(got).toEqual([argmaxReference(logits.subarray(0, 400)), argmaxReference(logits.subarray(400))]);
  });
});

describe('top-k / top-p sampling: statistics (fixed seed)', () => {
  it('draws tokens with the renormalised nucleus probabilities', async () => {
    const seed = 1600;
    const vocab = 20;
    const draws = 200;
    const row = randomF32(vocab, seed, 2);
    const options = { temperature: 0.9, topK: 12, topP: 0.85 };
    const next = seededRandom(seed + 1);
    const logits = new Float32Array(draws * vocab);
    for (let r = 0; r < draws; r++) logits.set(row, r * vocab);
    const u = Float32Array.from({ length: draws }, next);
    const got = await runSample(logits, vocab, u, options);
    const { tokens, weights } = nucleusReference(row, options);
    const total = weights.reduce((s, v) => s + v, 0);
    const counts = new Map<number, number>();
    for (const t of got) counts.set(t, (counts.get(t) ?? 0) + 1);
    // Nothing outside the nucleus, and each frequency within 5 standard deviations of its probability.
    expect(
      [...counts.keys()].every((t) => tokens.includes(t)),
      `seed ${seed}: drew ${[...counts.keys()]}`,
    ).toBe(true);
    tokens.forEach((t, i) => {
      const prob = weights[i] / total;
      const sd = Math.sqrt(draws * prob * (1 - prob));
      expect(Math.abs((counts.get(t) ?? 0) - draws * prob), `seed ${seed}: token ${t}, p ${prob}`).toBeLessThan(5 * sd + 1);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import {
  crossEntropyBackward,
  crossEntropyForward,
  crossEntropyForwardBackward,
  crossEntropyMean,
  unmaskedCount,
} from '../../src/kernels/crossEntropy';
import { crossEntropyBackwardReference, crossEntropyReference, meanLossReference } from '../../src/kernels/reference/crossEntropy';
import { randomF32, seededRandom } from '../../src/util/random';
import { expectAllClose } from './compare';
import { expectGradientMatchesFiniteDifferences, weightedSum } from './gradcheck';

// loss = lse − logit: each thread sums up to vocab/256 ≈ 600 exps in f32 and the tree adds 8 levels, so the sum is
// good to ~1e-5 relative and lse (≈ 10 to 40 here) to ~1e-5 absolute; 5e-5 absolute + 1e-6 relative leaves room.
const LOSS_TOLERANCE = { atol: 5e-5, rtol: 1e-6 };
// Gradients are probabilities (≤ 1) times scale: exp(logit − lse) inherits lse's ~1e-5 error as relative error.
const GRAD_TOLERANCE = { atol: 1e-7, rtol: 5e-5 };

const gpu = await testGpu();

/** Logits spread like a language model's (about ±15), labels in range with some masked (−1). */
function batch(tokens: number, vocab: number, seed: number, maskEvery = 4) {
  const next = seededRandom(seed);
  const logits = randomF32(tokens * vocab, seed, 15);
  const labels = Int32Array.from({ length: tokens }, (_, t) => (t % maskEvery === maskEvery - 1 ? -1 : Math.floor(next() * vocab)));
  return { logits, labels };
}

type Mode = 'forward' | 'fused' | 'separate';

/** Runs the batch in chunks of `chunkRows` rows as training would; returns loss, lse, dlogits (if asked), mean. */
async function runChunked(
  logits: Float32Array,
  labels: Int32Array,
  vocab: number,
  chunkRows: number,
  mode: Mode,
  scale = 1,
  threads?: number,
) {
  const tokens = labels.length;
  const bLabels = gpu.upload(labels, { label: 'labels' });
  const bLoss = gpu.alloc(tokens * 4, { label: 'loss' });
  const bLse = gpu.alloc(tokens * 4, { label: 'lse' });
  const bOut = gpu.alloc(12, { label: 'mean' });
  const bChunk = gpu.alloc(chunkRows * vocab * 4, { label: 'logits chunk' });
  const grads = new Float32Array(tokens * vocab);
  for (let rowOffset = 0; rowOffset < tokens; rowOffset += chunkRows) {
    const rows = Math.min(chunkRows, tokens - rowOffset);
    gpu.write(bChunk, logits.subarray(rowOffset * vocab, (rowOffset + rows) * vocab));
    const rec = gpu.recorder();
    const buffers = { logits: bChunk, labels: bLabels, loss: bLoss, lse: bLse };
    const chunk = { rows, vocab, rowOffset, scale };
    if (mode === 'fused') crossEntropyForwardBackward(rec, buffers, chunk, threads);
    else crossEntropyForward(rec, buffers, chunk, threads);
    if (mode === 'separate') crossEntropyBackward(rec, buffers, chunk);
    rec.submit();
    if (mode !== 'forward') grads.set(await gpu.readF32(bChunk, rows * vocab), rowOffset * vocab);
  }
  const rec = gpu.recorder();
  crossEntropyMean(rec, { labels: bLabels, loss: bLoss, out: bOut }, { tokens, vocab });
  rec.submit();
  const result = {
    loss: await gpu.readF32(bLoss, tokens),
    lse: await gpu.readF32(bLse, tokens),
    mean: await gpu.readF32(bOut, 3),
    grads,
  };
  [bLabels, bLoss, bLse, bOut, bChunk].forEach((b) => gpu.buffers.free(b));
  return result;
}

describe('cross-entropy forward', () => {
  // Llama's 32000, an odd 32001, Qwen2's 151936 (one row: the reference is the slow part), and tiny vocabularies
  // with more rows than a workgroup has threads.
  const cases: [number, number, number][] = [
    [3, 32000, 2],
    [2, 32001, 2],
    [1, 151936, 1],
    [300, 5, 128],
    [4, 1, 4],
  ];
  // 256 threads per row (a GPU's) and 4 (a CPU adapter's).
  for (const [tokens, vocab, chunkRows] of cases) {
    for (const threads of [256, 4]) {
      it(`matches the reference for tokens=${tokens} vocab=${vocab} in chunks of ${chunkRows} rows, ${threads} threads a row`, async () => {
        const seed = tokens * 31 + vocab;
        const { logits, labels } = batch(tokens, vocab, seed, tokens > 2 ? 4 : 1000);
        const got = await runChunked(logits, labels, vocab, chunkRows, 'forward', 1, threads);
        const want = crossEntropyReference(logits, labels, vocab);
        expectAllClose(got.loss, want.loss, LOSS_TOLERANCE, `loss, seed ${seed}`);
        expectAllClose(got.lse, want.lse, LOSS_TOLERANCE, `lse, seed ${seed}`);
      });
    }
  }

  it('stays finite with logits far beyond exp range (max-subtracted)', async () => {
    const vocab = 1000;
    const logits = randomF32(2 * vocab, 40, 5);
    logits[17] = 5000;
    logits[vocab + 3] = -5000;
    logits[vocab + 4] = 3000;
    const labels = new Int32Array([17, 5]);
    const got = await runChunked(logits, labels, vocab, 2, 'fused');
    const want = crossEntropyReference(logits, labels, vocab);
    expect(got.loss.every(Number.isFinite) && got.grads.every(Number.isFinite), 'seed 40: non-finite output').toBe(true);
    expectAllClose(got.loss, want.loss, LOSS_TOLERANCE, 'loss, seed 40');
    expectAllClose(got.grads, crossEntropyBackwardReference(logits, labels, vocab, 1), GRAD_TOLERANCE, 'grads, seed 40');
  });

  it('gives masked tokens (label −1 or ≥ vocab) zero loss and leaves them out of the mean', async () => {
    const vocab = 50;
    const logits = randomF32(5 * vocab, 41, 15);
    const labels = new Int32Array([3, -1, 49, 50, -1]);
    const got = await runChunked(logits, labels, vocab, 2, 'forward');
    const want = crossEntropyReference(logits, labels, vocab);
    expect(got.loss[1]).toBe(0);
    expect(got.loss[3]).toBe(0);
    expect(got.loss[4]).toBe(0);
    const { mean, count } = meanLossReference(want.loss, labels, vocab);
    expect(count).toBe(unmaskedCount(labels, vocab));
    expectAllClose(got.mean, [mean, count, mean * count], LOSS_TOLERANCE, 'mean, seed 41');
  });

  it('reports a zero mean when every token is masked', async () => {
    const got = await runChunked(randomF32(3 * 7, 42), new Int32Array([-1, -1, -1]), 7, 3, 'forward');
    expect(Array.from(got.mean)).toEqual([0, 0, 0]);
  });
});

describe('cross-entropy backward', () => {
  for (const [mode, threads] of [
    ['fused', 256],
    ['fused', 4],
    ['separate', 256],
  ] as const) {
    it(`dlogits = scale·(softmax − onehot), zero on masked rows (${mode}, ${threads} threads a row, chunked, odd vocab)`, async () => {
      const [tokens, vocab, seed] = [7, 3001, mode === 'fused' ? 50 : 51];
      const { logits, labels } = batch(tokens, vocab, seed, 3);
      const scale = 1 / unmaskedCount(labels, vocab);
      const got = await runChunked(logits, labels, vocab, 3, mode, scale, threads);
      expectAllClose(got.grads, crossEntropyBackwardReference(logits, labels, vocab, scale), GRAD_TOLERANCE, `seed ${seed}`);
      // The fused pass still reports the forward loss.
      expectAllClose(got.loss, crossEntropyReference(logits, labels, vocab).loss, LOSS_TOLERANCE, `loss, seed ${seed}`);
    });
  }

  it('is the derivative of the mean loss (central finite differences)', async () => {
    const [tokens, vocab, seed] = [6, 37, 60];
    const { logits, labels } = batch(tokens, vocab, seed, 3);
    const scale = 1 / unmaskedCount(labels, vocab);
    const { grads } = await runChunked(logits, labels, vocab, 4, 'separate', scale);
    const weights = new Float32Array(tokens).fill(scale);
    await expectGradientMatchesFiniteDifferences({
      x: logits,
      grad: grads,
      loss: async (l) => weightedSum((await runChunked(l, labels, vocab, 4, 'forward')).loss, weights),
      seed,
      context: 'cross-entropy dlogits',
    });
  });
});

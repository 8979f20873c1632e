import { describe, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { seededRandom } from '../../src/util/random';
import { QUANT_FORMATS, freeQuantizedWeight, type QuantFormat } from '../../src/kernels/quantWeight';
import { embeddingLookup } from '../../src/kernels/embedding';
import { embeddingReference } from '../../src/kernels/reference/embedding';
import { TEST_K, expectBitExact, testWeight } from './qfixtures';

async function runLookup(format: QuantFormat, nVocab: number, K: number, ids: Uint32Array, seed: number, maxBindingBytes?: number) {
  const gpu = await testGpu();
  const { weight, decoded } = testWeight(gpu, format, nVocab, K, seed, maxBindingBytes);
  const bufIds = gpu.upload(ids, { label: 'ids' });
  const bufOut = gpu.alloc(ids.length * K * 4, { label: 'embeddings' });
  const rec = gpu.recorder();
  embeddingLookup(rec, bufIds, weight, bufOut, { tokens: ids.length });
  rec.submit();
  const got = await gpu.readF32(bufOut, ids.length * K);
  gpu.buffers.free(bufIds);
  gpu.buffers.free(bufOut);
  const parts = weight.parts.length;
  freeQuantizedWeight(gpu, weight);
  return { got, want: embeddingReference(decoded, K, ids), parts };
}

function randomIds(count: number, nVocab: number, seed: number): Uint32Array {
  const next = seededRandom(seed);
  return Uint32Array.from({ length: count }, () => Math.floor(next() * nVocab));
}

describe('embedding lookup from a quantized token_embd table', () => {
  QUANT_FORMATS.forEach((format, f) => {
    it(`${format}: gathers rows by token id, bit-exact against the reference decoder`, async () => {
      const seed = 1100 + f;
      // 19 tokens with repeats, over an odd vocabulary of 53 rows (first and last ids included).
      const ids = randomIds(19, 53, seed);
      ids[0] = 0;
      ids[1] = 52;
      const { got, want } = await runLookup(format, 53, TEST_K[format], ids, seed);
      expectBitExact(got, want, `${format} seed ${seed}`);
    });
  });

  it('reads a table split across several bindings (4 KiB forced limit)', async () => {
    const seed = 1200;
    const ids = randomIds(40, 300, seed);
    ids[0] = 299;
    const { got, want, parts } = await runLookup('Q6_K', 300, 256, ids, seed, 4096);
    expectBitExact(got, want, `Q6_K split into ${parts} parts, seed ${seed}`);
  });
});

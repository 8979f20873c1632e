import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/testGpu';
import { expectAllClose } from './compare';
import { randomAttentionInputs } from './attentionCases';
import { uploadStored } from './storedTensors';
import { STORED_PRECISIONS } from '../../src/kernels/storedValues';
import { attentionDecode, attentionDecodeScratchBytes } from '../../src/kernels/attentionDecode';
import { attentionReference } from '../../src/kernels/reference/attention';
import { resolveAttentionShape } from '../../src/kernels/attentionShape';
import { kvStrides } from '../../src/kernels/attention';
import { LabError } from '../../src/errors';

// The 'tokens' layout's batch stride given apart from kvLen: the batch KV cache gives each sequence a slot of
// slotPositions positions while a step's attention runs over only the longest live sequence.

/** f32 arithmetic: the reference's f64 sums against f32 chunked softmax, on the values the cache holds (as in attention.test.ts). */
const F32_TOLERANCE = { atol: 2e-5, rtol: 1e-5 };

describe('attention K/V batch stride apart from kvLen', () => {
  it('uses batchStride as the batch stride of the tokens layout, and the dense stride without it', () => {
    const s = resolveAttentionShape({ batch: 2, qLen: 1, kvLen: 5, nHeads: 4, nKvHeads: 2, headDim: 8 }, 'test');
    expect(kvStrides(s, { kind: 'tokens' }, 'test')).toEqual({ token: 16, head: 8, batch: 80 });
    expect(kvStrides(s, { kind: 'tokens', batchStride: 144 }, 'test')).toEqual({ token: 16, head: 8, batch: 144 });
  });

  it('refuses a batch stride shorter than kvLen positions', () => {
    const s = resolveAttentionShape({ batch: 2, qLen: 1, kvLen: 5, nHeads: 4, nKvHeads: 2, headDim: 8 }, 'test');
    expect(() => kvStrides(s, { kind: 'tokens', batchStride: 79 }, 'decode test')).toThrow(LabError);
    expect(() => kvStrides(s, { kind: 'tokens', batchStride: 79 }, 'decode test')).toThrow(/batch stride 79 is less than kvLen 5/);
  });

  for (const kvStorage of STORED_PRECISIONS) {
    it(`decodes sequences of different lengths in 200-position slots with kvLen the longest (two 128-key chunks), stored as ${kvStorage}`, async () => {
      const gpu = await testGpu();
      const seed = 57;
      const lengths = [140, 1, 70];
      const slotPositions = 200;
      const shape = { batch: 3, kvLen: 140, nHeads: 4, nKvHeads: 2, headDim: 64 };
      const kvWidth = shape.nKvHeads * shape.headDim;
      const rowWidth = shape.nHeads * shape.headDim;
      // Keys and values generated per slot ([3, 200, Hkv, d]); positions past a sequence's length hold noise it must not read.
      const kv = randomAttentionInputs({ ...shape, kvLen: slotPositions, qLen: slotPositions }, seed, kvStorage);
      const qRows = randomAttentionInputs({ ...shape, qLen: 1 }, seed + 1).q;
      const q = gpu.upload(qRows, { label: 'q' });
      const k = uploadStored(gpu, kv.k, kvStorage, 'K slots');
      const v = uploadStored(gpu, kv.v, kvStorage, 'V slots');
      const lengthsBuffer = gpu.upload(new Uint32Array(lengths), { label: 'lengths' });
      const partials = gpu.alloc(attentionDecodeScratchBytes(shape), { label: 'partials' });
      const out = gpu.alloc(shape.batch * rowWidth * 4, { label: 'O' });
      const rec = gpu.recorder();
      attentionDecode(rec, { q, k, v, lengths: lengthsBuffer, partials, out }, shape, {
        kvLayout: { kind: 'tokens', batchStride: slotPositions * kvWidth },
        kvStorage,
      });
      rec.submit();
      const got = await gpu.readF32(out, shape.batch * rowWidth);
      for (const t of [q, k, v, lengthsBuffer, partials, out]) gpu.buffers.free(t);

      lengths.forEach((len, b) => {
        const keys = (a: Float32Array) => a.slice(b * slotPositions * kvWidth, (b * slotPositions + len) * kvWidth);
        const one = { qLen: 1, kvLen: len, nHeads: 4, nKvHeads: 2, headDim: 64 };
        const want = attentionReference({ q: qRows.slice(b * rowWidth, (b + 1) * rowWidth), k: keys(kv.k), v: keys(kv.v) }, one);
        expectAllClose(
          got.slice(b * rowWidth, (b + 1) * rowWidth),
          want.out,
          F32_TOLERANCE,
          `sequence ${b} of length ${len} (seed ${seed})`,
        );
      });
    });
  }
});

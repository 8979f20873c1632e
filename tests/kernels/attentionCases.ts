import type { Gpu } from '../../src/gpu/gpu';
import type { TrackedBuffer } from '../../src/gpu/allocator';
import { attentionForward, type AttentionOptions, type AttentionShape } from '../../src/kernels/attention';
import { resolveAttentionShape } from '../../src/kernels/attentionShape';
import { randomF32 } from '../../src/util/random';
import type { StoredPrecision } from '../../src/kernels/storedValues';
import { storedValuesReference } from '../../src/kernels/reference/storedValues';
import { uploadStored } from './storedTensors';

/**
 * Random attention inputs for a shape, K and V as a cache stored in `kvStorage` gives them back (f16 pairs are
 * rounded before the reference sees them too). Q is scaled up so that softmax rows are peaked, not flat.
 */
export function randomAttentionInputs(
  shape: AttentionShape,
  seed: number,
  kvStorage: StoredPrecision = 'f32',
): { q: Float32Array; k: Float32Array; v: Float32Array } {
  const s = resolveAttentionShape(shape, 'randomAttentionInputs');
  const qCount = s.batch * s.qLen * s.nHeads * s.headDim;
  const kvCount = s.batch * s.kvLen * s.nKvHeads * s.headDim;
  return {
    q: randomF32(qCount, seed, 3),
    k: storedValuesReference(randomF32(kvCount, seed + 1), kvStorage),
    v: storedValuesReference(randomF32(kvCount, seed + 2), kvStorage),
  };
}

/** Token-major K/V [batch, kvLen, nKvHeads, d] → cache layout [batch, nKvHeads, maxCtx, d] (unused slots random). */
export function toCacheLayout(kv: Float32Array, shape: AttentionShape, maxCtx: number, seed: number): Float32Array {
  const s = resolveAttentionShape(shape, 'toCacheLayout');
  const out = randomF32(s.batch * s.nKvHeads * maxCtx * s.headDim, seed);
  for (let b = 0; b < s.batch; b++) {
    for (let j = 0; j < s.kvLen; j++) {
      for (let g = 0; g < s.nKvHeads; g++) {
        const from = ((b * s.kvLen + j) * s.nKvHeads + g) * s.headDim;
        const to = ((b * s.nKvHeads + g) * maxCtx + j) * s.headDim;
        out.set(kv.subarray(from, from + s.headDim), to);
      }
    }
  }
  return out;
}

/** Runs the forward kernel once and reads O and LSE back. */
export async function runAttentionForward(
  gpu: Gpu,
  x: { q: Float32Array; k: Float32Array; v: Float32Array; segStart?: Uint32Array },
  shape: AttentionShape,
  options: AttentionOptions = {},
): Promise<{ out: Float32Array; lse: Float32Array }> {
  const s = resolveAttentionShape(shape, 'runAttentionForward');
  const outCount = s.batch * s.qLen * s.nHeads * s.headDim;
  const q = gpu.upload(x.q, { label: 'Q' });
  const k = uploadStored(gpu, x.k, options.kvStorage ?? 'f32', 'K');
  const v = uploadStored(gpu, x.v, options.kvStorage ?? 'f32', 'V');
  const segStart = x.segStart ? gpu.upload(x.segStart, { label: 'segStart' }) : undefined;
  const out = gpu.alloc(outCount * 4, { label: 'O' });
  const lse = gpu.alloc(s.batch * s.nHeads * s.qLen * 4, { label: 'LSE' });
  const rec = gpu.recorder();
  attentionForward(rec, { q, k, v, out, lse, segStart }, shape, options);
  rec.submit();
  const result = {
    out: await gpu.readF32(out, outCount),
    lse: await gpu.readF32(lse, s.batch * s.nHeads * s.qLen),
  };
  for (const t of [q, k, v, out, lse, segStart]) if (t) gpu.buffers.free(t);
  return result;
}

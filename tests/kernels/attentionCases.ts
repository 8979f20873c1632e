import type { Gpu } from '../../src/gpu/gpu';
import type { TrackedBuffer } from '../../src/gpu/allocator';
import type { ActivationPrecision } from '../../src/gpu/shaderLibrary';
import { attentionForward, type AttentionShape, type KvLayout } from '../../src/kernels/attention';
import { resolveAttentionShape } from '../../src/kernels/attentionShape';
import { randomF32 } from '../../src/util/random';

/** Random attention inputs for a shape: Q is scaled up so that softmax rows are peaked, not flat. */
export function randomAttentionInputs(shape: AttentionShape, seed: number): { q: Float32Array; k: Float32Array; v: Float32Array } {
  const s = resolveAttentionShape(shape, 'randomAttentionInputs');
  const qCount = s.batch * s.qLen * s.nHeads * s.headDim;
  const kvCount = s.batch * s.kvLen * s.nKvHeads * s.headDim;
  return { q: randomF32(qCount, seed, 3), k: randomF32(kvCount, seed + 1), v: randomF32(kvCount, seed + 2) };
}

/** f32 values → IEEE half bits (round to nearest even), for uploading act_t = f16 buffers. */
export function toF16Bits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < values.length; i++) {
    f[0] = values[i];
    const x = u[0];
    const sign = (x >>> 16) & 0x8000;
    const exp = ((x >>> 23) & 0xff) - 127 + 15;
    let mant = x & 0x7fffff;
    if (exp <= 0) {
      out[i] = sign; // the test data never goes this small
      continue;
    }
    let half = sign | (exp << 10) | (mant >>> 13);
    mant &= 0x1fff;
    if (mant > 0x1000 || (mant === 0x1000 && (half & 1))) half++;
    out[i] = half;
  }
  return out;
}

export function fromF16Bits(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    out[i] = exp === 0 ? sign * mant * 2 ** -24 : sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** Values as the kernel sees them at a storage precision (f16 inputs are rounded before the reference runs too). */
export function atPrecision(values: Float32Array, precision: ActivationPrecision): Float32Array {
  return precision === 'f32' ? values : fromF16Bits(toF16Bits(values));
}

export function uploadActivations(gpu: Gpu, values: Float32Array, precision: ActivationPrecision, label: string): TrackedBuffer {
  return gpu.upload(precision === 'f32' ? values : toF16Bits(values), { label });
}

export async function readActivations(gpu: Gpu, buffer: TrackedBuffer, count: number, precision: ActivationPrecision): Promise<Float32Array> {
  if (precision === 'f32') return gpu.readF32(buffer, count);
  return fromF16Bits(new Uint16Array(await gpu.read(buffer, count * 2)));
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
  options: { precision?: ActivationPrecision; kvLayout?: KvLayout } = {},
): Promise<{ out: Float32Array; lse: Float32Array }> {
  const s = resolveAttentionShape(shape, 'runAttentionForward');
  const precision = options.precision ?? 'f32';
  const outCount = s.batch * s.qLen * s.nHeads * s.headDim;
  const q = uploadActivations(gpu, x.q, precision, 'Q');
  const k = uploadActivations(gpu, x.k, precision, 'K');
  const v = uploadActivations(gpu, x.v, precision, 'V');
  const segStart = x.segStart ? gpu.upload(x.segStart, { label: 'segStart' }) : undefined;
  const out = gpu.alloc(outCount * (precision === 'f32' ? 4 : 2), { label: 'O' });
  const lse = gpu.alloc(s.batch * s.nHeads * s.qLen * 4, { label: 'LSE' });
  const rec = gpu.recorder();
  attentionForward(rec, { q, k, v, out, lse, segStart }, shape, options);
  rec.submit();
  const result = {
    out: await readActivations(gpu, out, outCount, precision),
    lse: await gpu.readF32(lse, s.batch * s.nHeads * s.qLen),
  };
  for (const t of [q, k, v, out, lse, segStart]) if (t) gpu.buffers.free(t);
  return result;
}

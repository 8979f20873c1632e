import type { BenchContext, BenchRow, BenchSuite } from '../harness';
import type { Recorder } from '../../src/gpu/recorder';
import type { TrackedBuffer } from '../../src/gpu/allocator';
import { rmsNorm, rmsNormBackward } from '../../src/kernels/rmsnorm';
import { rope, uploadRopeFrequencies } from '../../src/kernels/rope';
import { swiglu, swigluBackward } from '../../src/kernels/swiglu';
import { residualAdd } from '../../src/kernels/residual';
import { biasAdd } from '../../src/kernels/biasAdd';
import { adamw } from '../../src/kernels/adamw';
import { gradNorm, gradNormPartialCount } from '../../src/kernels/gradNorm';
import { randomF32 } from '../../src/util/random';

// 7B (Llama 2 / Mistral) shapes for one training micro-batch of 512 tokens; f32 activations.
const TOKENS = 512;
const HIDDEN = 4096;
const FFN = 14336;
const HEADS = 32;
const HEAD_DIM = 128;
// LoRA r = 16 on q, k, v, o, gate, up, down of 32 layers: about 40M trainable parameters.
const LORA_PARAMS = 40_000_000;

/** Memory-bound bookkeeping kernels at 7B shapes, reported as effective GB/s (bytes each kernel must move). */
export const suite: BenchSuite = {
  name: 'elementwise',
  async run(ctx) {
    const rows: BenchRow[] = [];
    const owned: TrackedBuffer[] = [];
    const buffer = (floats: number, label: string, random = false) => {
      const b = random
        ? ctx.gpu.upload(randomF32(floats, owned.length + 1), { label, category: 'scratch' })
        : ctx.gpu.alloc(floats * 4, { label, category: 'scratch' });
      owned.push(b);
      return b;
    };
    const measure = async (name: string, bytes: number, record: (rec: Recorder) => void) => {
      rows.push(await throughput(ctx, name, bytes, record));
    };

    const x = buffer(TOKENS * HIDDEN, 'x', true);
    const w = buffer(HIDDEN, 'w', true);
    const y = buffer(TOKENS * HIDDEN, 'y');
    const dy = buffer(TOKENS * HIDDEN, 'dy', true);
    const rstd = buffer(TOKENS, 'rstd');
    const shape = { rows: TOKENS, n: HIDDEN };
    await measure(`rmsnorm forward ${TOKENS}×${HIDDEN}`, 2 * TOKENS * HIDDEN * 4, (rec) =>
      rmsNorm(rec, { x, w, y, rstd }, { ...shape, eps: 1e-5 }),
    );
    await measure(`rmsnorm backward dx ${TOKENS}×${HIDDEN}`, 3 * TOKENS * HIDDEN * 4, (rec) =>
      rmsNormBackward(rec, { x, w, dy, rstd, dx: y }, shape),
    );
    // One decode token, and the tiny models' training rows (hidden 64), where the threads per row matter most.
    for (const [r, h, what] of [
      [1, HIDDEN, 'decode'],
      [128, 64, 'tiny-model training'],
    ] as const) {
      const small = { rows: r, n: h };
      await measure(`rmsnorm forward ${r}×${h} (${what})`, 2 * r * h * 4, (rec) =>
        rmsNorm(rec, { x, w, y, rstd }, { ...small, eps: 1e-5 }),
      );
      await measure(`rmsnorm backward dx ${r}×${h} (${what})`, 3 * r * h * 4, (rec) =>
        rmsNormBackward(rec, { x, w, dy, rstd, dx: y }, small),
      );
    }
    await measure(`residual add ${TOKENS}×${HIDDEN}`, 3 * TOKENS * HIDDEN * 4, (rec) => residualAdd(rec, y, x, TOKENS * HIDDEN));
    await measure(`bias add (Qwen2 q/k/v) ${TOKENS}×${HIDDEN}`, 2 * TOKENS * HIDDEN * 4, (rec) =>
      biasAdd(rec, y, w, { rows: TOKENS, n: HIDDEN }),
    );

    const positions = ctx.gpu.upload(
      Uint32Array.from({ length: TOKENS }, (_, i) => i),
      { label: 'positions', category: 'scratch' },
    );
    const invFreq = uploadRopeFrequencies(ctx.gpu, { nRot: HEAD_DIM, freqBase: 10000 });
    owned.push(positions, invFreq);
    for (const mode of ['normal', 'neox'] as const) {
      await measure(`rope ${mode} Q ${TOKENS}×${HEADS}×${HEAD_DIM}`, 2 * TOKENS * HIDDEN * 4, (rec) =>
        rope(rec, { x: y, positions, invFreq }, { tokens: TOKENS, nHeads: HEADS, headDim: HEAD_DIM, nRot: HEAD_DIM, mode }),
      );
    }

    const n = TOKENS * FFN;
    const gate = buffer(n, 'gate', true);
    const up = buffer(n, 'up', true);
    const out = buffer(n, 'out');
    const dgate = buffer(n, 'dgate');
    await measure(`swiglu forward ${TOKENS}×${FFN}`, 3 * n * 4, (rec) => swiglu(rec, gate, up, out, n));
    await measure(`swiglu backward ${TOKENS}×${FFN}`, 5 * n * 4, (rec) => swigluBackward(rec, { doutDup: out, gate, up, dgate }, n, 'f32'));

    for (const b of owned.splice(0)) ctx.gpu.buffers.free(b);

    const param = buffer(LORA_PARAMS, 'param', true);
    const grad = buffer(LORA_PARAMS, 'grad', true);
    const m = buffer(LORA_PARAMS, 'm');
    const v = buffer(LORA_PARAMS, 'v');
    const partials = buffer(gradNormPartialCount([LORA_PARAMS]), 'partials');
    const norm = buffer(2, 'norm');
    await measure(`grad norm ${LORA_PARAMS / 1e6}M`, LORA_PARAMS * 4, (rec) =>
      gradNorm(rec, [{ buffer: grad, n: LORA_PARAMS }], { partials, out: norm }, { maxNorm: 1 }),
    );
    await measure(`adamw ${LORA_PARAMS / 1e6}M (clipped)`, 7 * LORA_PARAMS * 4, (rec) =>
      adamw(rec, { param, grad, m, v, clipFactor: norm }, { n: LORA_PARAMS, step: 10, lr: 1e-4, weightDecay: 0.01 }),
    );
    for (const b of owned.splice(0)) ctx.gpu.buffers.free(b);
    return rows;
  },
};

async function throughput(ctx: BenchContext, name: string, bytes: number, record: (rec: Recorder) => void): Promise<BenchRow> {
  const ms = await ctx.gpuTimeMs(record, { iterations: 5 });
  const gbps = bytes / 1e9 / (ms / 1e3);
  ctx.log(`${name}: ${ms.toFixed(3)} ms, ${gbps.toFixed(1)} GB/s`);
  return { suite: 'elementwise', case: name, metric: 'GB/s', ours: gbps, note: `${ms.toFixed(3)} ms` };
}

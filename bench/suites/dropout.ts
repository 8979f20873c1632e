import type { BenchRow, BenchSuite } from '../harness';
import { dropout, dropoutBackward, dropoutKey } from '../../src/kernels/dropout';
import { swiglu } from '../../src/kernels/swiglu';
import { randomF32 } from '../../src/util/random';

// The widest LoRA dropout input of a 7B training micro-batch: the down projection's [512 tokens, FFN 14336].
const TOKENS = 512;
const FFN = 14336;

/**
 * LoRA dropout (hash-generated mask, nothing stored) as effective GB/s, against SwiGLU on the same elements in the
 * same run: the peer is the plain elementwise kernel, so the ratio is what hashing the mask costs.
 */
export const suite: BenchSuite = {
  name: 'dropout',
  async run(ctx) {
    const n = TOKENS * FFN;
    const x = ctx.gpu.upload(randomF32(n, 1), { label: 'x', category: 'scratch' });
    const other = ctx.gpu.upload(randomF32(n, 2), { label: 'other', category: 'scratch' });
    const out = ctx.gpu.alloc(n * 4, { label: 'out', category: 'scratch' });
    const shape = { n, p: 0.1, key: dropoutKey([0, 1, 2, 3, 4]) };
    const rows: BenchRow[] = [];
    const peerMs = await ctx.gpuTimeMs((rec) => swiglu(rec, x, other, out, n), { iterations: 5 });
    const peer = (3 * n * 4) / 1e9 / (peerMs / 1e3);
    for (const [name, bytes, record] of [
      ['dropout forward', 2 * n * 4, (rec) => dropout(rec, x, out, shape)],
      ['dropout backward (accumulate)', 3 * n * 4, (rec) => dropoutBackward(rec, x, out, shape)],
    ] as const satisfies readonly (readonly [string, number, Parameters<typeof ctx.gpuTimeMs>[0]])[]) {
      const ms = await ctx.gpuTimeMs(record, { iterations: 5 });
      const gbps = bytes / 1e9 / (ms / 1e3);
      ctx.log(`${name} ${TOKENS}×${FFN}: ${ms.toFixed(3)} ms, ${gbps.toFixed(1)} GB/s (swiglu ${peer.toFixed(1)} GB/s)`);
      rows.push({
        suite: 'dropout',
        case: `${name} ${TOKENS}×${FFN}`,
        metric: 'GB/s',
        ours: gbps,
        peer: { name: 'swiglu, same elements', value: peer },
        ratio: gbps / peer,
        note: `${ms.toFixed(3)} ms`,
      });
    }
    for (const b of [x, other, out]) ctx.gpu.buffers.free(b);
    return rows;
  },
};

import type { BenchRow, BenchSuite } from '../harness';
import { crossEntropyBackward, crossEntropyForward, crossEntropyForwardBackward } from '../../src/kernels/crossEntropy';
import { argmax, sampleTop } from '../../src/kernels/sampling';
import { randomF32 } from '../../src/util/random';

// A 64-row chunk of logits at Llama 2's (32000) and Qwen2's (151936) vocabulary sizes; decoding samples one row.
const CHUNK_ROWS = 64;

/**
 * Cross-entropy over a chunk of logits (GB/s of logits moved): the fused forward+backward against the forward
 * followed by the separate backward, which reads the logits twice more. Then argmax and top-k/top-p sampling of one
 * row (microseconds per token).
 */
export const suite: BenchSuite = {
  name: 'crossEntropy',
  async run(ctx) {
    const rows: BenchRow[] = [];
    for (const vocab of [32000, 151936]) {
      const logits = ctx.gpu.upload(randomF32(CHUNK_ROWS * vocab, vocab, 15), { label: 'logits', category: 'scratch' });
      const labels = ctx.gpu.upload(
        Int32Array.from({ length: CHUNK_ROWS }, (_, i) => (i * 7919) % vocab),
        { label: 'labels', category: 'scratch' },
      );
      const loss = ctx.gpu.alloc(CHUNK_ROWS * 4, { label: 'loss', category: 'scratch' });
      const lse = ctx.gpu.alloc(CHUNK_ROWS * 4, { label: 'lse', category: 'scratch' });
      const buffers = { logits, labels, loss, lse };
      const chunk = { rows: CHUNK_ROWS, vocab, rowOffset: 0, scale: 1 / CHUNK_ROWS };
      const bytes = CHUNK_ROWS * vocab * 4;

      const forwardMs = await ctx.gpuTimeMs((rec) => crossEntropyForward(rec, buffers, chunk));
      const fusedMs = await ctx.gpuTimeMs((rec) => crossEntropyForwardBackward(rec, buffers, chunk));
      const separateMs = await ctx.gpuTimeMs((rec) => {
        crossEntropyForward(rec, buffers, chunk);
        crossEntropyBackward(rec, buffers, chunk);
      });
      const gbps = (moved: number, ms: number) => moved / 1e9 / (ms / 1e3);
      ctx.log(
        `cross-entropy ${CHUNK_ROWS}×${vocab}: forward ${forwardMs.toFixed(3)} ms, fused ${fusedMs.toFixed(3)} ms, separate ${separateMs.toFixed(3)} ms`,
      );
      rows.push({
        suite: 'crossEntropy',
        case: `forward ${CHUNK_ROWS}×${vocab}`,
        metric: 'GB/s',
        ours: gbps(bytes, forwardMs),
        note: `${forwardMs.toFixed(3)} ms`,
      });
      rows.push({
        suite: 'crossEntropy',
        case: `forward+backward ${CHUNK_ROWS}×${vocab}`,
        metric: 'rows/ms',
        ours: CHUNK_ROWS / fusedMs,
        peer: { name: 'forward, then separate backward', value: CHUNK_ROWS / separateMs },
        ratio: separateMs / fusedMs,
        note: `fused moves ${gbps(2 * bytes, fusedMs).toFixed(1)} GB/s`,
      });

      const out = ctx.gpu.alloc(4, { label: 'token', category: 'scratch' });
      const u = ctx.gpu.upload(new Float32Array([0.5]), { label: 'u', category: 'scratch' });
      const one = { logits: { buffer: logits.buffer, offset: 0, size: vocab * 4, range: true as const }, out, u };
      const argmaxMs = await ctx.gpuTimeMs((rec) => argmax(rec, one, { rows: 1, vocab }));
      const sampleMs = await ctx.gpuTimeMs((rec) => sampleTop(rec, one, { rows: 1, vocab }, { temperature: 0.7, topK: 40, topP: 0.95 }));
      ctx.log(`sampling 1×${vocab}: argmax ${(argmaxMs * 1e3).toFixed(1)} µs, top-k/top-p ${(sampleMs * 1e3).toFixed(1)} µs`);
      rows.push({ suite: 'crossEntropy', case: `argmax 1×${vocab}`, metric: 'µs', ours: argmaxMs * 1e3 });
      rows.push({ suite: 'crossEntropy', case: `top-k 40 / top-p 0.95 sample 1×${vocab}`, metric: 'µs', ours: sampleMs * 1e3 });
      for (const b of [logits, labels, loss, lse, out, u]) ctx.gpu.buffers.free(b);
    }
    return rows;
  },
};

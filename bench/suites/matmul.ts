import type { BenchSuite } from '../harness';
import { matmul, matmulNaive } from '../../src/kernels/matmul';
import { randomF32 } from '../../src/util/random';

/** The tiled f32 matmul against the naive one-output-per-thread kernel: what tiling buys. */
export const suite: BenchSuite = {
  name: 'matmul',
  async run(ctx) {
    const rows = [];
    for (const n of [256, 512, 1024]) {
      const shape = { M: n, N: n, K: n };
      const a = ctx.gpu.upload(randomF32(n * n, 1), { label: 'bench A', category: 'scratch' });
      const b = ctx.gpu.upload(randomF32(n * n, 2), { label: 'bench B', category: 'scratch' });
      const c = ctx.gpu.alloc(n * n * 4, { label: 'bench C', category: 'scratch' });
      const iterations = n >= 1024 ? 3 : 5;
      const tiledMs = await ctx.gpuTimeMs((rec) => matmul(rec, a, b, c, shape), { iterations });
      const naiveMs = await ctx.gpuTimeMs((rec) => matmulNaive(rec, a, b, c, shape), { iterations });
      const gflop = (2 * n * n * n) / 1e9;
      const tiled = gflop / (tiledMs / 1e3);
      const naive = gflop / (naiveMs / 1e3);
      ctx.log(`matmul ${n}: tiled ${tiled.toFixed(2)} GFLOP/s, naive ${naive.toFixed(2)} GFLOP/s`);
      rows.push({
        suite: 'matmul',
        case: `f32 ${n}×${n}×${n}`,
        metric: 'GFLOP/s',
        ours: tiled,
        peer: { name: 'naive (1 output/thread)', value: naive },
        ratio: tiled / naive,
      });
      for (const t of [a, b, c]) ctx.gpu.buffers.free(t);
    }
    return rows;
  },
};

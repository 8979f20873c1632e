import type { BenchSuite } from '../harness';
import { matmul, matmulNaive, type MatmulShape } from '../../src/kernels/matmul';
import { randomF32 } from '../../src/util/random';

// LoRA products in training: rank r against the hidden size, T tokens. stories260K-like (T 288, hidden 64, r 8) and
// 7B-like (T 512, hidden 4096, r 16): x·Aᵀ, h·Bᵀ, dA = dhᵀ·x.
const LORA_SHAPES: [string, MatmulShape][] = [
  ['LoRA x·Aᵀ 288×8×64', { M: 288, N: 8, K: 64, transB: true, accumulate: true }],
  ['LoRA h·Bᵀ 288×64×8', { M: 288, N: 64, K: 8, transB: true, accumulate: true }],
  ['LoRA dA 8×64×288', { M: 8, N: 64, K: 288, transA: true, accumulate: true }],
  ['LoRA x·Aᵀ 512×16×4096', { M: 512, N: 16, K: 4096, transB: true, accumulate: true }],
  ['LoRA h·Bᵀ 512×4096×16', { M: 512, N: 4096, K: 16, transB: true, accumulate: true }],
  ['LoRA dA 16×4096×512', { M: 16, N: 4096, K: 512, transA: true, accumulate: true }],
];

/**
 * The tiled f32 matmul against the naive one-output-per-thread kernel (what tiling buys), and on LoRA's skinny
 * shapes the workgroup shape the wrapper picks (matmulThreads) against the fixed 16×16-thread, 64×64 tile it replaced.
 */
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
    for (const [name, shape] of LORA_SHAPES) {
      const a = ctx.gpu.upload(randomF32(shape.M * shape.K, 1), { label: 'bench A', category: 'scratch' });
      const b = ctx.gpu.upload(randomF32(shape.K * shape.N, 2), { label: 'bench B', category: 'scratch' });
      const c = ctx.gpu.alloc(shape.M * shape.N * 4, { label: 'bench C', category: 'scratch' });
      const pickedMs = await ctx.gpuTimeMs((rec) => matmul(rec, a, b, c, shape), { iterations: 5 });
      const fixedMs = await ctx.gpuTimeMs((rec) => matmul(rec, a, b, c, shape, { x: 16, y: 16 }), { iterations: 5 });
      const gflop = (2 * shape.M * shape.N * shape.K) / 1e9;
      ctx.log(`matmul ${name}: picked shape ${pickedMs.toFixed(2)} ms, 16×16 ${fixedMs.toFixed(2)} ms`);
      rows.push({
        suite: 'matmul',
        case: `f32 ${name}`,
        metric: 'GFLOP/s',
        ours: gflop / (pickedMs / 1e3),
        peer: { name: '16×16 threads, 64×64 tile', value: gflop / (fixedMs / 1e3) },
        ratio: fixedMs / pickedMs,
        note: `${pickedMs.toFixed(2)} ms`,
      });
      for (const t of [a, b, c]) ctx.gpu.buffers.free(t);
    }
    return rows;
  },
};

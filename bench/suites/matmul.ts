import type { BenchSuite } from '../harness';
import { matmul, matmulNaive, matmulSchedule, type MatmulSchedule, type MatmulShape } from '../../src/kernels/matmul';
import { isCpuAdapter } from '../../src/kernels/cpuAdapter';
import { randomF32 } from '../../src/util/random';

// LoRA products in training: rank r against the hidden size, T tokens. stories260K-like (T 288, hidden 64, r 8),
// the bundled model's (T 1024, FFN 384, r 16) and 7B-like (T 512, hidden 4096, r 16): x·Aᵀ, h·Bᵀ, dA = dhᵀ·x,
// dB = dyᵀ·h.
const LORA_SHAPES: [string, MatmulShape][] = [
  ['LoRA x·Aᵀ 288×8×64', { M: 288, N: 8, K: 64, transB: true, accumulate: true }],
  ['LoRA h·Bᵀ 288×64×8', { M: 288, N: 64, K: 8, transB: true, accumulate: true }],
  ['LoRA dA 8×64×288', { M: 8, N: 64, K: 288, transA: true, accumulate: true }],
  ['LoRA h·Bᵀ 1024×384×16', { M: 1024, N: 384, K: 16, transB: true, accumulate: true }],
  ['LoRA dB 384×16×1024', { M: 384, N: 16, K: 1024, transA: true, accumulate: true }],
  ['LoRA x·Aᵀ 512×16×4096', { M: 512, N: 16, K: 4096, transB: true, accumulate: true }],
  ['LoRA h·Bᵀ 512×4096×16', { M: 512, N: 4096, K: 16, transB: true, accumulate: true }],
  ['LoRA dA 16×4096×512', { M: 16, N: 4096, K: 512, transA: true, accumulate: true }],
];

/**
 * The schedule the wrapper picks for this adapter (matmulSchedule: tiled on a GPU, direct on a CPU adapter) against
 * the naive one-output-per-thread kernel, and on LoRA's skinny shapes against the other schedule: the direct kernel
 * with 16 threads on a GPU, the fixed 16×16-thread, 64×64 tile on a CPU adapter.
 */
export const suite: BenchSuite = {
  name: 'matmul',
  async run(ctx) {
    const rows = [];
    const cpu = isCpuAdapter(ctx.gpu.info);
    const kind = cpu ? 'direct' : 'tiled';
    const other: MatmulSchedule = cpu ? { kind: 'tiled', threads: { x: 16, y: 16 } } : { kind: 'direct', threads: { x: 4, y: 4 } };
    const otherName = cpu ? 'tiled, 16×16 threads' : 'direct, 16 threads';
    for (const n of [256, 512, 1024]) {
      const shape = { M: n, N: n, K: n };
      const a = ctx.gpu.upload(randomF32(n * n, 1), { label: 'bench A', category: 'scratch' });
      const b = ctx.gpu.upload(randomF32(n * n, 2), { label: 'bench B', category: 'scratch' });
      const c = ctx.gpu.alloc(n * n * 4, { label: 'bench C', category: 'scratch' });
      const iterations = n >= 1024 ? 3 : 5;
      const pickedMs = await ctx.gpuTimeMs((rec) => matmul(rec, a, b, c, shape), { iterations });
      const naiveMs = await ctx.gpuTimeMs((rec) => matmulNaive(rec, a, b, c, shape), { iterations });
      const gflop = (2 * n * n * n) / 1e9;
      const picked = gflop / (pickedMs / 1e3);
      const naive = gflop / (naiveMs / 1e3);
      ctx.log(`matmul ${n}: ${kind} ${picked.toFixed(2)} GFLOP/s, naive ${naive.toFixed(2)} GFLOP/s`);
      rows.push({
        suite: 'matmul',
        case: `f32 ${n}×${n}×${n} (${kind})`,
        metric: 'GFLOP/s',
        ours: picked,
        peer: { name: 'naive (1 output/thread)', value: naive },
        ratio: picked / naive,
      });
      for (const t of [a, b, c]) ctx.gpu.buffers.free(t);
    }
    for (const [name, shape] of LORA_SHAPES) {
      const a = ctx.gpu.upload(randomF32(shape.M * shape.K, 1), { label: 'bench A', category: 'scratch' });
      const b = ctx.gpu.upload(randomF32(shape.K * shape.N, 2), { label: 'bench B', category: 'scratch' });
      const c = ctx.gpu.alloc(shape.M * shape.N * 4, { label: 'bench C', category: 'scratch' });
      const pickedMs = await ctx.gpuTimeMs((rec) => matmul(rec, a, b, c, shape), { iterations: 5 });
      const otherMs = await ctx.gpuTimeMs((rec) => matmul(rec, a, b, c, shape, other), { iterations: 5 });
      const gflop = (2 * shape.M * shape.N * shape.K) / 1e9;
      const { threads } = matmulSchedule(cpu ? 'cpu' : 'gpu', shape.M, shape.N);
      ctx.log(`matmul ${name}: ${kind} ${threads.x}×${threads.y} ${pickedMs.toFixed(2)} ms, ${otherName} ${otherMs.toFixed(2)} ms`);
      rows.push({
        suite: 'matmul',
        case: `f32 ${name} (${kind} ${threads.x}×${threads.y})`,
        metric: 'GFLOP/s',
        ours: gflop / (pickedMs / 1e3),
        peer: { name: otherName, value: gflop / (otherMs / 1e3) },
        ratio: otherMs / pickedMs,
        note: `${pickedMs.toFixed(2)} ms`,
      });
      for (const t of [a, b, c]) ctx.gpu.buffers.free(t);
    }
    return rows;
  },
};

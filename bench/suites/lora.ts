import type { BenchSuite } from '../harness';
import { loraBackward, loraForward, type LoraShape } from '../../src/kernels/lora';
import { randomF32 } from '../../src/util/random';

/**
 * The LoRA branch of one 7B projection (f32, on the tiled matmul) at rank 16 for a 512-token micro-batch: forward
 * (2 products) and backward (4), in GFLOP/s. No fused LoRA kernel exists to compare against: these thin products
 * (one side of rank 16) are what a fused kernel would have to beat.
 */
export const suite: BenchSuite = {
  name: 'lora',
  async run(ctx) {
    const rows = [];
    for (const [tokens, inFeatures, outFeatures, rank] of [
      [512, 4096, 4096, 16],
      [512, 4096, 14336, 16],
      [512, 14336, 4096, 16],
    ]) {
      const shape: LoraShape = { tokens, inFeatures, outFeatures, rank, scale: 2 };
      const alloc = (floats: number, label: string) => ctx.gpu.upload(randomF32(floats, floats % 97), { label, category: 'scratch' });
      const x = alloc(tokens * inFeatures, 'x');
      const a = alloc(rank * inFeatures, 'A');
      const b = alloc(outFeatures * rank, 'B');
      const h = alloc(tokens * rank, 'h');
      const y = alloc(tokens * outFeatures, 'y');
      const dh = alloc(tokens * rank, 'dh');
      const dx = alloc(tokens * inFeatures, 'dx');
      const da = alloc(rank * inFeatures, 'dA');
      const db = alloc(outFeatures * rank, 'dB');
      const forwardMs = await ctx.gpuTimeMs((rec) => loraForward(rec, { x, a, b, h, y }, shape));
      const backwardMs = await ctx.gpuTimeMs((rec) => loraBackward(rec, { x, a, b, h, dy: y, dh, dx, da, db }, shape));
      const forwardGflop = (2 * tokens * rank * (inFeatures + outFeatures)) / 1e9;
      const backwardGflop = 2 * forwardGflop;
      const name = `${tokens}×${inFeatures}→${outFeatures} r${rank}`;
      ctx.log(`lora ${name}: forward ${forwardMs.toFixed(3)} ms, backward ${backwardMs.toFixed(3)} ms`);
      rows.push({
        suite: 'lora',
        case: `forward ${name}`,
        metric: 'GFLOP/s',
        ours: forwardGflop / (forwardMs / 1e3),
        note: `${forwardMs.toFixed(3)} ms`,
      });
      rows.push({
        suite: 'lora',
        case: `backward ${name}`,
        metric: 'GFLOP/s',
        ours: backwardGflop / (backwardMs / 1e3),
        note: `${backwardMs.toFixed(3)} ms`,
      });
      for (const t of [x, a, b, h, y, dh, dx, da, db]) ctx.gpu.buffers.free(t);
    }
    return rows;
  },
};

import { describe, expect, it } from 'vitest';
import { MISTRAL_7B as mistral, mistralQ4KMBytes } from '../../bench/mistral7b';
import { PROJECTIONS, type Projection } from '../../src/model/tensorNames';
import { describeMemoryPlan } from '../../src/model/inferenceMemoryPlan';
import { assertTrainingPlanFits, planTrainingMemory } from '../../src/train/trainingMemoryPlan';
import type { StoredPrecision } from '../../src/kernels/storedValues';

const GiB = 1024 ** 3;
const limits = { maxBufferSize: 4 * GiB, maxStorageBufferBindingSize: 2 * GiB };

describe('the training memory planner', () => {
  const mistralPlan = (savedPrecision?: StoredPrecision) =>
    planTrainingMemory(mistral, limits, {
      weightBytes: mistralQ4KMBytes(),
      modelBufferBytes: 0,
      lora: { rank: 16, alpha: 32, dropout: 0, targets: PROJECTIONS, seed: 0 },
      batch: 1,
      seqLen: 2048,
      lossChunkRows: 256,
      savedPrecision,
      budgetBytes: 8e9,
    });

  it('fits Mistral-7B Q4_K_M at seq 2048, rank 16 on all seven projections in 6 GiB (f16 pairs, the default)', async () => {
    const weightBytes = mistralQ4KMBytes();
    const plan = mistralPlan();
    console.log(`[plan] Mistral-7B Q4_K_M, seq 2048, rank 16, all targets:\n${describeMemoryPlan(plan).join('\n')}`);
    expect(weightBytes / GiB).toBeGreaterThan(3.8);
    expect(weightBytes / GiB).toBeLessThan(4.2);
    const lora = plan.items.find((i) => i.label.startsWith('LoRA'))!.bytes;
    // 32 layers × 16 × (q 8192 + k 5120 + v 5120 + o 8192 + gate 18432 + up 18432 + down 18432) floats, four copies.
    expect(lora).toBeGreaterThan(4 * 4 * 32 * 16 * 81920);
    expect(lora).toBeLessThan(4 * 4 * 32 * 16 * 81920 * 1.01);
    // 33 checkpoints of [2048, 4096] in 2-byte halves.
    expect(plan.items.find((i) => i.label.startsWith('saved'))!.bytes).toBe(33 * 2048 * 4096 * 2);
    expect(plan.problems).toEqual([]);
    expect(plan.totalBytes).toBeLessThanOrEqual(6 * GiB);
  });

  it('plans f32 storage as the exact option: 4-byte checkpoints, gate and up', () => {
    const packed = mistralPlan();
    const plan = mistralPlan('f32');
    console.log(`[plan] Mistral-7B Q4_K_M, seq 2048, rank 16, all targets, f32 saved activations:\n${describeMemoryPlan(plan).join('\n')}`);
    const bytes = (p: typeof plan, prefix: string) => p.items.find((i) => i.label.startsWith(prefix))!.bytes;
    expect(bytes(plan, 'saved')).toBe(33 * 2048 * 4096 * 4);
    // Gate and up at 4 bytes instead of 2 ([2048, 14336] each), less the f32 copy of the layer's input ([2048, 4096]).
    expect(bytes(plan, 'recompute') - bytes(packed, 'recompute')).toBe(2 * 2048 * 14336 * 2 - 2048 * 4096 * 4);
  });

  it('refuses a plan over the budget or over one buffer, with the numbers', () => {
    const options = {
      weightBytes: 4e9,
      modelBufferBytes: 0,
      lora: { rank: 16, alpha: 32, dropout: 0, targets: PROJECTIONS, seed: 0 },
      seqLen: 2048,
      lossChunkRows: 256,
    };
    const over = planTrainingMemory(mistral, limits, { ...options, batch: 4, budgetBytes: 8e9 });
    expect(() => assertTrainingPlanFits(over)).toThrow(
      /training does not fit this GPU: needs .* GiB of GPU memory but 7\.45 GiB is available.*saved activations/,
    );
    const small = planTrainingMemory(
      mistral,
      { maxBufferSize: 256 * 1024 ** 2, maxStorageBufferBindingSize: 128 * 1024 ** 2 },
      { ...options, batch: 1 },
    );
    expect(small.problems.join('\n')).toMatch(
      /one FFN activation needs 112 MiB in one buffer; the device allows 128 MiB|the adapter parameters needs/,
    );
  });

  it('counts the LoRA dropout scratch: one [T, widest adapter input] buffer, only when dropout is on', () => {
    const options = { weightBytes: 4e9, modelBufferBytes: 0, seqLen: 2048, lossChunkRows: 256, batch: 1 };
    const lora = { rank: 16, alpha: 32, targets: PROJECTIONS, seed: 0 };
    const working = (dropout: number, targets: readonly Projection[] = PROJECTIONS) =>
      planTrainingMemory(mistral, limits, { ...options, lora: { ...lora, dropout, targets } }).items.find((i) =>
        i.label.startsWith('recompute'),
      )!.bytes;
    // The down projection reads the FFN activation (14336 wide); without it the widest input is the hidden state.
    expect(working(0.1) - working(0)).toBe(2048 * 14336 * 4);
    expect(working(0.1, ['q', 'v']) - working(0, ['q', 'v'])).toBe(2048 * 4096 * 4);
  });
});

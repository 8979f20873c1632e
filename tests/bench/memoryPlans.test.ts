import { describe, expect, it } from 'vitest';
import { memoryPlanRows } from '../../bench/memoryPlans';

const GiB = 1024 ** 3;

describe("the device report's memory plans", () => {
  it('give the 7B QLoRA and evaluation plans in f16 pairs beside the f32 option, and say they fit roomy limits', () => {
    const [training, evaluation] = memoryPlanRows('report', { maxBufferSize: 4 * GiB, maxStorageBufferBindingSize: 2 * GiB });
    expect(training.metric).toBe('GiB');
    expect(training.ours).toBeGreaterThan(5.5);
    expect(training.ours).toBeLessThanOrEqual(6);
    expect(training.peer!.value).toBeGreaterThan(training.ours);
    expect(training.note).toContain('fits');
    // 32 layers × 2 (K, V) × 8 slots × 1,024 positions × 8 KV heads × 128 values: 2 bytes each, 4 in f32.
    const kvValues = 32 * 2 * 8 * 1024 * 8 * 128;
    expect((evaluation.peer!.value - evaluation.ours) * GiB).toBeCloseTo(kvValues * 2, -3);
  });

  it("say which buffer a device's small limits refuse", () => {
    const [training] = memoryPlanRows('report', { maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 128 * 2 ** 20 });
    expect(training.note).toMatch(/^f16 pairs \(default\); refused here: /);
  });
});

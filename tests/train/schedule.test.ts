import { describe, expect, it } from 'vitest';
import { checkSchedule, learningRate, type LrSchedule } from '../../src/train/schedule';
import { microBatchRows } from '../../src/train/dataOrder';

const s: LrSchedule = { lr: 1e-3, warmupSteps: 4, totalSteps: 14, decay: 'cosine' };

describe('the learning-rate schedule', () => {
  it('warms up linearly to the peak at the last warmup step', () => {
    expect([1, 2, 3, 4].map((t) => learningRate(s, t))).toEqual([2.5e-4, 5e-4, 7.5e-4, 1e-3]);
  });

  it('decays by a half cosine to the floor at the last step', () => {
    expect(learningRate(s, 9)).toBeCloseTo(5e-4, 12); // half way through the decay
    expect(learningRate(s, 14)).toBeCloseTo(0, 12);
    expect(learningRate({ ...s, minLrRatio: 0.1 }, 14)).toBeCloseTo(1e-4, 12);
  });

  it('decays linearly, or stays constant', () => {
    expect(learningRate({ ...s, decay: 'linear' }, 9)).toBeCloseTo(5e-4, 12);
    expect(learningRate({ ...s, decay: 'linear' }, 14)).toBeCloseTo(0, 12);
    expect(learningRate({ ...s, decay: 'constant' }, 14)).toBe(1e-3);
    expect(learningRate({ ...s, warmupSteps: 0 }, 1)).toBeCloseTo(1e-3 * 0.5 * (1 + Math.cos(Math.PI / 14)), 12);
  });

  it('refuses schedules that cannot run, naming the value', () => {
    expect(() => checkSchedule({ ...s, lr: 0 })).toThrow(/learning rate 0 must be a positive number/);
    expect(() => checkSchedule({ ...s, warmupSteps: 20 })).toThrow(/warmup of 20 steps/);
  });
});

describe('the data order', () => {
  it('visits every row once per epoch in an order fixed by the seed and the micro-batch index', () => {
    const epoch0 = [0, 1, 2, 3].flatMap((g) => microBatchRows(10, 3, 42, g));
    expect(epoch0).toHaveLength(10);
    expect(new Set(epoch0).size).toBe(10);
    expect(microBatchRows(10, 3, 42, 3)).toHaveLength(1); // the epoch's last micro-batch is smaller
    const epoch1 = [4, 5, 6, 7].flatMap((g) => microBatchRows(10, 3, 42, g));
    expect(new Set(epoch1).size).toBe(10);
    expect(epoch1).not.toEqual(epoch0);
    expect(microBatchRows(10, 3, 42, 5)).toEqual(microBatchRows(10, 3, 42, 5));
    expect(microBatchRows(10, 3, 43, 0)).not.toEqual(microBatchRows(10, 3, 42, 0));
  });
});

import { describe, expect, it } from 'vitest';
import { describePlan, formatEpochs } from '../../src/ui/train/planText';

describe("the Train panel's plan line", () => {
  it('says the steps, the epochs they train and what an epoch is', () => {
    expect(describePlan({ runId: 'a-1', steps: 12, epochs: 2, trainRows: 11, microBatchesPerEpoch: 6 })).toBe(
      'planned 12 steps: 2 epochs of 11 training rows (6 micro-batches per epoch)',
    );
    expect(describePlan({ runId: 'a-1', steps: 1, epochs: 0.25, trainRows: 1, microBatchesPerEpoch: 4 })).toBe(
      'planned 1 step: 0.25 epochs of 1 training row (4 micro-batches per epoch)',
    );
  });

  it('gives epochs to three significant digits, without trailing zeros', () => {
    expect([2, 0.5, 4 / 372, 10 / 3, 1234.5].map(formatEpochs)).toEqual(['2', '0.5', '0.0108', '3.33', '1235']);
  });
});

import { describe, expect, it } from 'vitest';
import { lossOverlay, PALETTE, trainingSeries } from '../../src/ui/train/trainingSeries';
import type { StepMetrics } from '../../src/worker/api';

const step = (n: number, loss: number, evalLoss?: number): StepMetrics => ({
  step: n,
  loss,
  lr: n * 1e-4,
  grad_norm: 1 / n,
  tokens: 128,
  tokens_per_s: 10 * n,
  elapsed_s: n,
  eta_s: 10 - n,
  epoch: 0,
  ...(evalLoss !== undefined && { eval_loss: evalLoss }),
});

describe('trainingSeries: the Train panel charts from per-step metrics', () => {
  it('plots validation loss only on the steps that measured it', () => {
    const { loss } = trainingSeries([step(1, 3), step(2, 2.5, 2.8), step(3, 2.2)]);
    expect(loss.map((s) => s.label)).toEqual(['training loss', 'validation loss']);
    expect(loss[0].points).toEqual([
      [1, 3],
      [2, 2.5],
      [3, 2.2],
    ]);
    expect(loss[1].points).toEqual([[2, 2.8]]);
  });

  it('gives learning rate, gradient norm and throughput one point per step', () => {
    const { lr, gradNorm, tokensPerS } = trainingSeries([step(1, 3), step(2, 2.5)]);
    expect(lr[0].points).toEqual([
      [1, 1e-4],
      [2, 2e-4],
    ]);
    expect(gradNorm[0].points).toEqual([
      [1, 1],
      [2, 0.5],
    ]);
    expect(tokensPerS[0].points).toEqual([
      [1, 10],
      [2, 20],
    ]);
  });
});

describe('lossOverlay: several runs on one chart', () => {
  it('gives each run its own palette colour and its training loss', () => {
    const overlay = lossOverlay([
      { label: 'a', metrics: [step(1, 3)] },
      { label: 'b', metrics: [step(1, 4), step(2, 3.5)] },
    ]);
    expect(overlay.map((s) => [s.label, s.color])).toEqual([
      ['a', PALETTE[0]],
      ['b', PALETTE[1]],
    ]);
    expect(overlay[1].points).toEqual([
      [1, 4],
      [2, 3.5],
    ]);
  });
});

import type { StepMetrics } from '../../worker/api';
import type { ChartSeries } from '../charts/chartData';

/** Line colours shared by every chart of the page: one per run in overlays, in this order. */
export const PALETTE = ['#3556d8', '#d8892f', '#1c7c45', '#b3261e', '#7a3ad8', '#138a9e', '#8a6d1c', '#c23a8e'];

/** The Train panel's four charts, from the per-step metrics of one run. */
export function trainingSeries(metrics: readonly StepMetrics[]): {
  loss: ChartSeries[];
  lr: ChartSeries[];
  gradNorm: ChartSeries[];
  tokensPerS: ChartSeries[];
} {
  const line = (label: string, color: string, pick: (m: StepMetrics) => number | undefined, dash = false): ChartSeries => ({
    label,
    color,
    dash,
    points: metrics.flatMap((m) => {
      const y = pick(m);
      return y === undefined ? [] : [[m.step, y] as const];
    }),
  });
  return {
    loss: [line('training loss', PALETTE[0], (m) => m.loss), line('validation loss', PALETTE[1], (m) => m.eval_loss, true)],
    lr: [line('learning rate', PALETTE[2], (m) => m.lr)],
    gradNorm: [line('gradient norm', PALETTE[3], (m) => m.grad_norm)],
    tokensPerS: [line('tokens/s', PALETTE[4], (m) => m.tokens_per_s)],
  };
}

/** Training loss of several runs on one chart (the Compare panel), each in its palette colour. */
export function lossOverlay(runs: readonly { label: string; metrics: readonly StepMetrics[] }[]): ChartSeries[] {
  return runs.map((run, i) => ({
    label: run.label,
    color: PALETTE[i % PALETTE.length],
    points: run.metrics.map((m) => [m.step, m.loss] as const),
  }));
}

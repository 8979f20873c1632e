/**
 * The Data panel's token-length histogram as a bar chart: one bar per length bin, named by its token range, and the
 * sentence that says the same in text (for screen readers and tests, which cannot read the canvas).
 */
import type { LengthHistogram } from '../../worker/api';
import type { ChartSeries } from '../charts/chartData';

export interface LengthChart {
  /** "0–127", "128–255", …, "4096+": bin i covers [edges[i], edges[i+1]) tokens, the last one is open. */
  binNames: string[];
  series: ChartSeries[];
  description: string;
}

export function lengthChart(histogram: LengthHistogram, color: string): LengthChart {
  const { edges, counts } = histogram;
  const binNames = edges.map((low, i) => (i + 1 < edges.length ? `${low}–${edges[i + 1] - 1}` : `${low}+`));
  const points = counts.map((count, i) => [i, count] as const);
  const total = counts.reduce((sum, n) => sum + n, 0);
  const bins = binNames.map((name, i) => `${name}: ${counts[i]}`).join(', ');
  const sample = histogram.sampledFrom === undefined ? '' : ` (an evenly spaced sample of the ${histogram.sampledFrom})`;
  const description = `${total} examples${sample} by length in tokens: ${bins}. Mean ${histogram.mean.toFixed(1)}, median ${histogram.median}, 95th percentile ${histogram.p95}, longest ${histogram.max}.`;
  return { binNames, series: [{ label: 'examples', color, points }], description };
}

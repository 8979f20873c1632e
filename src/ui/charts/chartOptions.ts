import uPlot from 'uplot';
import { alignSeries, formatValue, type AlignedColumns, type ChartSeries } from './chartData';

export interface ChartAxes {
  xLabel: string;
  yLabel: string;
  /** Logarithmic x axis (base 2: dataset sizes double). */
  logX?: boolean;
  /** Named categories on the x axis (x = 0, 1, …): each series is drawn as bars, one per category (a histogram). */
  categories?: readonly string[];
}

/** Tick spacings for a count axis (steps, examples): whole numbers only, never "step 1.25". */
const WHOLE_INCREMENTS = [
  1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000,
];

/** A translucent version of a #rrggbb colour, for interval bands. */
function translucent(color: string): string {
  return /^#[0-9a-f]{6}$/i.test(color) ? `${color}33` : color;
}

/** uPlot's options for these series: one line each, bands as two unlabelled edges with the space between filled. */
export function chartOptions(series: readonly ChartSeries[], axes: ChartAxes, width: number, height: number): uPlot.Options {
  const lines: uPlot.Series[] = [];
  const categories = axes.categories;
  const bars = categories ? uPlot.paths.bars!({ size: [0.8, 80] }) : undefined;
  const bands: uPlot.Band[] = [];
  for (const s of series) {
    const index = lines.length + 1;
    lines.push({
      label: s.label,
      stroke: s.color,
      width: 2,
      ...(bars ? { paths: bars, fill: translucent(s.color), points: { show: false } } : {}),
      dash: s.dash ? [6, 4] : undefined,
      // Held-out loss is only measured every few steps: join its points across the steps in between.
      spanGaps: true,
      ...(bars ? {} : { points: { show: s.points.length < 40, size: 5 } }),
      value: (_u, v) => (v === null || v === undefined ? '–' : formatValue(v)),
    });
    if (s.band) {
      // `band-edge` keeps the edges out of the legend (Chart.svelte): the shaded band is the interval.
      const edge = { class: 'band-edge', stroke: translucent(s.color), width: 1, spanGaps: true, points: { show: false } };
      lines.push({ ...edge, label: `${s.label} low` }, { ...edge, label: `${s.label} high` });
      bands.push({ series: [index + 2, index + 1], fill: translucent(s.color) });
    }
  }
  return {
    width,
    height,
    series: [{ label: axes.xLabel, value: (_u, v) => (v === null || v === undefined ? '–' : formatValue(v)) }, ...lines],
    bands,
    scales: {
      x: {
        time: false,
        ...(axes.logX ? { distr: 3, log: 2 } : {}),
        ...(categories ? { range: [-0.5, categories.length - 0.5] as uPlot.Range.MinMax } : {}),
      },
    },
    axes: [
      categories
        ? { label: axes.xLabel, incrs: [1], values: (_u, ticks) => ticks.map((t) => categories[t] ?? '') }
        : { label: axes.xLabel, values: (_u, ticks) => ticks.map(formatValue), ...(axes.logX ? {} : { incrs: WHOLE_INCREMENTS }) },
      { label: axes.yLabel, values: (_u, ticks) => ticks.map(formatValue), size: 60 },
    ],
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
}

export function chartColumns(series: readonly ChartSeries[]): uPlot.AlignedData {
  const { x, columns }: AlignedColumns = alignSeries(series);
  return [x, ...columns];
}

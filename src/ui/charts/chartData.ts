/**
 * The data side of the page's charts, free of uPlot and the DOM: series as (x, y) points, aligned on one x axis the
 * way uPlot wants them, and the one-line text summary that screen readers and tests read instead of the canvas.
 */
export type Point = readonly [x: number, y: number];

export interface ChartSeries {
  label: string;
  /** A CSS colour. */
  color: string;
  points: readonly Point[];
  dash?: boolean;
  /** An interval around each point (e.g. a confidence interval), drawn as a shaded band. */
  band?: { low: readonly Point[]; high: readonly Point[] };
}

/** One shared, sorted x axis; each y column has null where its series has no point at that x. */
export interface AlignedColumns {
  x: number[];
  columns: (number | null)[][];
}

/** Columns in order: each series, then (when it has a band) its low and high edges. */
export function alignSeries(series: readonly ChartSeries[]): AlignedColumns {
  const lists: (readonly Point[])[] = series.flatMap((s) => (s.band ? [s.points, s.band.low, s.band.high] : [s.points]));
  const x = [...new Set(lists.flatMap((points) => points.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(x.map((v, i) => [v, i]));
  const columns = lists.map((points) => {
    const column: (number | null)[] = new Array(x.length).fill(null);
    for (const [px, py] of points) if (Number.isFinite(py)) column[index.get(px)!] = py;
    return column;
  });
  return { x, columns };
}

/** Short and exact enough for a legend or a summary: 4 significant digits, exponent form for tiny or huge values. */
export function formatValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/** "training loss 3.12 → 2.41 at step 12 (12 points); validation loss …", or `empty` when nothing is plotted yet. */
export function describeSeries(series: readonly ChartSeries[], xLabel: string, empty: string): string {
  const parts = series
    .filter((s) => s.points.length > 0)
    .map((s) => {
      const first = s.points[0];
      const last = s.points[s.points.length - 1];
      const values = s.points.length === 1 ? formatValue(last[1]) : `${formatValue(first[1])} → ${formatValue(last[1])}`;
      const count = s.points.length === 1 ? '1 point' : `${s.points.length} points`;
      return `${s.label} ${values} at ${xLabel} ${formatValue(last[0])} (${count})`;
    });
  return parts.length > 0 ? parts.join('; ') : empty;
}

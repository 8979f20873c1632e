/** The demo's result in words: one line for the page, a table and a loss curve for the terminal (`npm run demo`). */
import { textTable } from '../../worker/api';
import type { DemoReport } from './demoRun';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A p-value as people read it, with its relation: "p = 0.500", "p = 2.31e-8", or "p < 1e-12". */
export function formatP(p: number): string {
  return p < 1e-12 ? 'p < 1e-12' : `p = ${p < 0.001 ? p.toExponential(2) : p.toFixed(3)}`;
}

function pair(report: DemoReport) {
  return report.comparison.pairs[0];
}

export function demoSummary(report: DemoReport): string {
  const overall = report.comparison.table[0].cells;
  const p = pair(report);
  const gain = 100 * (overall[1].accuracy - overall[0].accuracy);
  return (
    `On ${overall[0].total} held-out problems the base model scores ${pct(overall[0].accuracy)} and the adapter ${pct(overall[1].accuracy)} ` +
    `(${gain >= 0 ? '+' : ''}${gain.toFixed(1)} points; McNemar ${formatP(p.mcnemar.pValue)}, ${p.mcnemar.onlySecond} problems only the adapter solved, ` +
    `${p.mcnemar.onlyFirst} only the base).`
  );
}

/** Accuracy with its 95% interval per group, base and adapter side by side. */
export function demoTable(report: DemoReport): string {
  const rows = report.comparison.table.map((row) => [
    row.group,
    String(row.cells[0].total),
    ...row.cells.map((c) => `${pct(c.accuracy)} [${pct(c.interval.low)}, ${pct(c.interval.high)}]`),
  ]);
  const header = ['group', 'problems', 'base model (95% interval)', 'adapter (95% interval)'];
  const p = pair(report);
  return [
    textTable(header, rows),
    '',
    `difference ${(100 * p.difference.estimate).toFixed(1)} points [${(100 * p.difference.low).toFixed(1)}, ${(100 * p.difference.high).toFixed(1)}]; ` +
      `McNemar exact ${formatP(p.mcnemar.pValue)} (${p.mcnemar.onlySecond} only the adapter solved, ${p.mcnemar.onlyFirst} only the base)`,
  ].join('\n');
}

/** The training loss as a text chart: one row per sampled step, a bar as long as the loss. */
export function lossCurveText(report: DemoReport, rows = 12, width = 40): string {
  const metrics = report.training.adapter.metrics;
  if (metrics.length === 0) return '(no steps)';
  const max = Math.max(...metrics.map((m) => m.loss));
  const picked = Array.from(
    { length: Math.min(rows, metrics.length) },
    (_, i) => metrics[Math.round((i * (metrics.length - 1)) / Math.max(1, rows - 1))],
  );
  return picked
    .map(
      (m) =>
        `step ${String(m.step).padStart(5)}  ${m.loss.toFixed(3).padStart(7)}  ${'#'.repeat(Math.max(1, Math.round((m.loss / max) * width)))}`,
    )
    .join('\n');
}

import type { BenchRow, DeviceDescription } from './harness';

/** A bench value with three significant figures or so, as the tables print it. */
export function formatValue(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

/** The device report as Markdown: the device, then every row of the run (run.ts writes it beside the JSON). */
export function reportMarkdown(device: DeviceDescription, date: string, rows: BenchRow[]): string {
  const limits = Object.entries(device.limits).map(([name, value]) => `| ${name} | ${value} |`);
  const body = rows.map((r) => {
    const peer = r.peer ? `${r.peer.name}: ${formatValue(r.peer.value)}` : '';
    const ratio = r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '';
    return `| ${r.suite} | ${r.case} | ${r.metric} | ${formatValue(r.ours)} | ${peer} | ${ratio} | ${r.note ?? ''} |`;
  });
  return [
    `# Lora Lab device report`,
    '',
    `${date}, ${device.adapter}`,
    '',
    `Features: ${device.features.length > 0 ? device.features.join(', ') : 'none of subgroups, timestamp-query'}`,
    '',
    '| limit | value |',
    '| --- | --- |',
    ...limits,
    '',
    '| suite | case | metric | ours | peer | ours/peer | note |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...body,
    '',
  ].join('\n');
}

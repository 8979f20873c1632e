import { formatValue, noteText, peerValueText } from './benchTable';
import type { BenchRow, DeviceDescription } from './harness';

/** The device report as Markdown: the device, then every row of the run (run.ts writes it beside the JSON). */
export function reportMarkdown(device: DeviceDescription, date: string, rows: BenchRow[]): string {
  const limits = Object.entries(device.limits).map(([name, value]) => `| ${name} | ${value} |`);
  const body = rows.map((r) => {
    const peer = r.peer ? `${r.peer.name}: ${peerValueText(r.peer)}` : '';
    const ratio = r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '';
    return `| ${r.suite} | ${r.case} | ${r.metric} | ${formatValue(r.ours)} | ${peer} | ${ratio} | ${noteText(r)} |`;
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

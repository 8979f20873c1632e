import type { CliCommand } from '../command';
import { parseArgs } from '../args';
import { createNodeGpu } from '../../gpu/node';
import { describeGpuAdapter } from '../../gpu/acquire';
import { formatBytes } from '../../util/formatBytes';

export const command: CliCommand = {
  name: 'gpu',
  summary: 'show the WebGPU adapter, its features and limits',
  usage: `usage: lora-lab gpu [--json] [--software]

Opens a WebGPU device through Dawn and prints the adapter, its optional features and its limits.
  --json       print one JSON object instead of text
  --software   use SwiftShader (software Vulkan from Debian's chromium) when VK_ICD_FILENAMES is not set`,
  async run(args, io) {
    const parsed = parseArgs(args, { switches: ['json', 'software'] });
    const gpu = await createNodeGpu({ useSoftwareFallback: parsed.flags.has('software') });
    try {
      const limits = gpu.limits as unknown as Record<string, number>;
      const features = [...gpu.device.features].sort();
      if (parsed.flags.has('json')) {
        io.out(JSON.stringify({ adapter: gpu.info, features, limits }, null, 2) + '\n');
        return 0;
      }
      const lines = [`adapter   ${describeGpuAdapter(gpu.info)}`, `features  ${features.join(', ') || '(none)'}`, 'limits'];
      for (const [name, value] of Object.entries(limits)) {
        const shown = /Size$/.test(name) && value >= 1024 ? `${value} (${formatBytes(value)})` : String(value);
        lines.push(`  ${name.padEnd(36)} ${shown}`);
      }
      io.out(lines.join('\n') + '\n');
      return 0;
    } finally {
      gpu.destroy();
    }
  },
};

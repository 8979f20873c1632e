import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { CliCommand } from '../command';
import { CliUsageError } from '../command';
import { flag, numberFlag, parseArgs } from '../args';
import { LabError } from '../../errors';
import { formatBytes } from '../../util/formatBytes';
import { ggufReport, readGguf, type GgufReport } from '../../formats/gguf';
import { openFileSource } from '../../formats/nodeFileSource';
import { createNodeGpu } from '../../gpu/node';
import { describeGpuAdapter } from '../../gpu/acquire';
import { modelConfigFromGguf } from '../../model/config';
import { describeMemoryPlan, planInferenceMemory, type MemoryPlan } from '../../model/inferenceMemoryPlan';
import { planTrainingOnLoadedModel } from '../../train/trainingMemoryPlan';
import { DEFAULT_LORA } from '../../model/lora/lora';
import { DEFAULT_STORED_PRECISION } from '../../kernels/storedValues';
import type { GpuLimits } from '../../gpu/gpu';

/**
 * The text report is a list of sections, printed in order. A later section (the memory plan) is added by
 * appending a renderer here and, for --json, a field to the printed object.
 */
const SECTIONS: ((report: GgufReport) => string[])[] = [headerSection, metadataSection, tensorSection, totalsSection];

/** WebGPU's guaranteed limits: what a plan is checked against when no device can be opened. */
const DEFAULT_LIMITS = { maxBufferSize: 256 * 1024 * 1024, maxStorageBufferBindingSize: 128 * 1024 * 1024 };

export const command: CliCommand = {
  name: 'inspect',
  summary: "show a GGUF model's metadata, tensors and sizes",
  usage: `usage: lora-lab inspect <model.gguf> [--json] [--context N] [--software]

Reads only the header of a GGUF file (versions 2 and 3) and prints its metadata (long arrays summarised),
the tensor table (name, type, dims, bytes), totals by quant type, and the GPU memory plans for generation and
for LoRA training (rank 16 on every projection, batch 1, a sequence as long as the context, beside the loaded
model) checked against this machine's WebGPU device (or WebGPU's guaranteed limits when none opens).
  --json         print one JSON object instead of text
  --context N    context length for the memory plans (default: the model's, at most 2048)
  --software     use SwiftShader when no Vulkan driver is chosen`,
  async run(args, io) {
    const parsed = parseArgs(args, { switches: ['json', 'software'], values: ['context'] });
    const contextFlag =
      flag(parsed, 'context') === undefined ? undefined : numberFlag(parsed, 'context', 0, (n) => Number.isInteger(n) && n > 0);
    if (parsed.positional.length !== 1) throw new CliUsageError('give exactly one model file');
    const path = parsed.positional[0];
    if (!existsSync(path) || !statSync(path).isFile()) throw new LabError('file not found', path, 'check the path');
    const file = await readGguf(await openFileSource(path), { name: path });
    const report = ggufReport(file, basename(path));
    const memory = report.architecture ? await memoryPlanFor(file, contextFlag, parsed.flags.has('software')) : undefined;
    if (parsed.flags.has('json')) {
      const plans = memory && { memoryPlan: memory.plan, trainingMemoryPlan: memory.training, checkedAgainst: memory.device };
      io.out(JSON.stringify(plans ? { ...report, ...plans } : report, null, 2) + '\n');
      return 0;
    }
    const sections = SECTIONS.map((section) => section(report).join('\n'));
    if (memory) {
      sections.push([`memory plan for generation, checked against ${memory.device}`, ...describeMemoryPlan(memory.plan)].join('\n'));
      const title = `memory plan for LoRA training (rank ${DEFAULT_LORA.rank} on every projection, batch 1, seq ${memory.plan.context}, saved as ${DEFAULT_STORED_PRECISION}) beside the model`;
      sections.push([title, ...describeMemoryPlan(memory.training)].join('\n'));
    }
    io.out(sections.join('\n\n') + '\n');
    return 0;
  },
};

async function memoryPlanFor(
  file: Awaited<ReturnType<typeof readGguf>>,
  context: number | undefined,
  software: boolean,
): Promise<{ plan: MemoryPlan; training: MemoryPlan; device: string }> {
  const config = modelConfigFromGguf(file);
  const options = { maxContext: context ?? Math.min(config.contextLength, 2048), maxStepTokens: 256 };
  const plans = (limits: Pick<GpuLimits, 'maxBufferSize' | 'maxStorageBufferBindingSize'>, device: string) => {
    const plan = planInferenceMemory(file, config, limits, options);
    const lora = { ...DEFAULT_LORA, seed: 0 };
    const training = planTrainingOnLoadedModel(config, plan, limits, { lora, batch: 1, seqLen: plan.context, lossChunkRows: 256 });
    return { plan, training, device };
  };
  try {
    const gpu = await createNodeGpu({ useSoftwareFallback: software });
    try {
      return plans(gpu.limits, describeGpuAdapter(gpu.info));
    } finally {
      gpu.destroy();
    }
  } catch {
    return plans(DEFAULT_LIMITS, "WebGPU's guaranteed limits (no adapter found)");
  }
}

function headerSection(r: GgufReport): string[] {
  return [
    `file          ${r.file} (${formatBytes(r.byteLength)})`,
    `format        GGUF v${r.version}, alignment ${r.alignment}, tensor data from byte ${r.dataOffset}`,
    `architecture  ${r.architecture ?? '(none)'}`,
    `parameters    ${r.totalElements.toLocaleString('en-US')} in ${r.tensors.length} tensors, ${formatBytes(r.totalTensorBytes)}`,
  ];
}

function metadataSection(r: GgufReport): string[] {
  const width = Math.max(...r.metadata.map((m) => m.key.length), 3);
  return [`metadata (${r.metadata.length} keys)`, ...r.metadata.map((m) => `  ${m.key.padEnd(width)}  ${m.type.padEnd(8)} ${m.value}`)];
}

function tensorSection(r: GgufReport): string[] {
  if (r.tensors.length === 0) return ['tensors (none: vocabulary-only file)'];
  const rows = r.tensors.map((t) => [t.name, t.type, t.dims.join(' × '), formatBytes(t.bytes)]);
  return [`tensors (${r.tensors.length})`, ...table(['name', 'type', 'dims (ne0 first)', 'bytes'], rows)];
}

function totalsSection(r: GgufReport): string[] {
  const rows = r.totals.map((t) => [t.type, String(t.tensors), t.elements.toLocaleString('en-US'), formatBytes(t.bytes)]);
  return ['totals by type', ...table(['type', 'tensors', 'elements', 'bytes'], rows)];
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    '  ' +
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

import { open, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { CliCommand } from '../command';
import { CliUsageError } from '../command';
import { flag, parseArgs } from '../args';
import { LabError } from '../../errors';
import { formatBytes } from '../../util/formatBytes';
import { readGguf } from '../../formats/gguf';
import { openFileSource } from '../../formats/nodeFileSource';
import { modelConfigFromGguf } from '../../model/config';
import { exportGgufLora, GGUF_LORA_TYPES, type GgufLoraType } from '../../model/lora/loraGguf';
import { exportPeft } from '../../model/lora/loraPeft';
import { mergedGgufChunks, planMerge } from '../../model/lora/mergedGguf';
import { readAdapterPath } from '../../train/adapterPath';
import { writePeftDirectory } from '../../train/peftDirectory';
import { MERGE_TYPES } from '../../worker/adapterFormats';
import type { QuantizableType } from '../../formats/quant';
import { forEachChunk } from '../../worker/storage/labStorage';

const FORMATS = ['gguf-lora', 'peft', 'merged'] as const;

export const command: CliCommand = {
  name: 'export',
  summary: 'write an adapter as a llama.cpp LoRA GGUF or PEFT folder, or merge it into a standalone GGUF',
  usage: `usage: lora-lab export --model <base.gguf> --adapter <dir|file.gguf> --format gguf-lora|peft|merged --out <path>
                        [--quant Q8_0] [--type F32|F16]

Reads the adapter (a PEFT directory or a llama.cpp LoRA GGUF) against its base model and writes it as:
  gguf-lora   llama.cpp's LoRA adapter file: llama-cli -m <base.gguf> --lora <out>, an Ollama "ADAPTER <out>"
              line, or wllama. --type F32 (default, exact) or F16.
  peft        a PEFT directory (adapter_config.json + adapter_model.safetensors).
  merged      a standalone GGUF: each adapted weight merged in f32 and encoded in --quant (${MERGE_TYPES.join(', ')};
              default Q8_0), every other tensor copied. Written piece by piece; progress on stderr, Ctrl-C stops
              and leaves no file.`,
  async run(args, io) {
    const parsed = parseArgs(args, { values: ['model', 'adapter', 'format', 'out', 'quant', 'type'] });
    if (parsed.positional.length > 0) throw new CliUsageError(`unexpected argument "${parsed.positional[0]}"`);
    const [modelPath, adapterPath, format, out] = ['model', 'adapter', 'format', 'out'].map((n) => flag(parsed, n));
    if (!modelPath) throw new CliUsageError('--model is required (the base model the adapter was trained on)');
    if (!adapterPath) throw new CliUsageError('--adapter is required');
    if (!out) throw new CliUsageError('--out is required');
    if (!format || !(FORMATS as readonly string[]).includes(format))
      throw new CliUsageError(`--format must be one of ${FORMATS.join(', ')}`);
    const type = flag(parsed, 'type') ?? 'F32';
    if (!(GGUF_LORA_TYPES as readonly string[]).includes(type))
      throw new CliUsageError(`--type must be one of ${GGUF_LORA_TYPES.join(', ')}`);
    const quantName = flag(parsed, 'quant') ?? 'Q8_0';
    if (!(MERGE_TYPES as readonly string[]).includes(quantName))
      throw new CliUsageError(`--quant must be one of ${MERGE_TYPES.join(', ')}`);
    const quant = quantName as QuantizableType;
    if (!existsSync(modelPath)) throw new LabError('file not found', modelPath);

    const source = await openFileSource(modelPath);
    const file = await readGguf(source, { name: modelPath });
    const model = modelConfigFromGguf(file);
    const { lora, values } = await readAdapterPath(model, adapterPath);
    io.err(`adapter: rank ${lora.rank}, alpha ${lora.alpha}, targets ${lora.targets.join(', ')}\n`);
    if (format === 'gguf-lora') {
      const blob = exportGgufLora(model, lora, values, adapterPath, type as GgufLoraType);
      await writeFile(out, new Uint8Array(await blob.arrayBuffer()));
      io.err(`wrote ${out} (${formatBytes(blob.size)})\n`);
      return 0;
    }
    if (format === 'peft') {
      await writePeftDirectory(out, exportPeft(model, lora, values, modelPath));
      io.err(`wrote ${out}/\n`);
      return 0;
    }
    const plan = planMerge(file, model, lora, quant);
    io.err(
      `merging: ${plan.mergedTensors} tensors into ${quant}, ${plan.copiedTensors} copied; ${formatBytes(plan.outputBytes)} to write, ` +
        `${formatBytes(plan.workingBytes + plan.adapterBytes)} of memory at most\n`,
    );
    if (plan.f32Tensors.length > 0)
      io.err(`${plan.f32Tensors.length} merged tensors have rows that are not whole ${quant} blocks and stay F32\n`);
    const stop = new AbortController();
    const onSigint = () => stop.abort(new LabError('stopped (Ctrl-C); no file written', out));
    process.once('SIGINT', onSigint);
    const tmp = `${out}.tmp`;
    const handle = await open(tmp, 'w');
    let lastPercent = -1;
    try {
      const chunks = mergedGgufChunks(source, file, model, lora, values, quant, { signal: stop.signal });
      await forEachChunk(
        { size: plan.outputBytes, chunks },
        {
          signal: stop.signal,
          onProgress: (done, total) => {
            const percent = Math.floor((100 * done) / total);
            if (percent !== lastPercent && percent % 10 === 0) io.err(`  ${percent}% (${formatBytes(done)})\n`);
            lastPercent = percent;
          },
        },
        async (chunk) => void (await handle.write(new Uint8Array(await chunk.arrayBuffer()))),
      );
      await handle.close();
      await rename(tmp, out);
    } catch (error) {
      await handle.close();
      await rm(tmp, { force: true });
      throw error;
    } finally {
      process.off('SIGINT', onSigint);
    }
    io.err(`wrote ${out}\n`);
    return 0;
  },
};

import { LabError } from '../errors';
import { formatBytes } from '../util/formatBytes';
import type { GgufFile } from '../formats/gguf';
import type { ByteSource } from '../formats/byteSource';
import { QUANTIZABLE_TYPES, type QuantizableType } from '../formats/quant';
import type { ModelConfig } from '../model/config';
import type { LoraConfig } from '../model/lora/lora';
import { exportGgufLora, importGgufLoraValues } from '../model/lora/loraGguf';
import { exportPeft, importPeftValues, type PeftFiles } from '../model/lora/loraPeft';
import { mergedGgufChunks, planMerge, type MergePlan } from '../model/lora/mergedGguf';
import { pickPeftFiles, type AdapterLibrary, type ExportedFile } from './adapterLibrary';
import { storageName, type LabStorage } from './storage/labStorage';

/**
 * The adapter formats the library exchanges besides its own PEFT files: llama.cpp's LoRA GGUF (in and out), and a
 * merged standalone GGUF (out). The library keeps every adapter as PEFT files, so a GGUF import is converted once.
 */
export type AdapterExportFormat = 'peft' | 'gguf-lora';

/** Formats the merged weights can be written in. */
export const MERGE_TYPES = QUANTIZABLE_TYPES;

/**
 * The adapter among files the user chose, checked against `model` and as PEFT files for the library: a `.gguf`
 * (llama.cpp's LoRA format) or a PEFT pair.
 */
export async function readAdapterImport(
  model: ModelConfig,
  files: Blob[],
  baseName: string,
): Promise<{ lora: LoraConfig; peft: PeftFiles }> {
  const gguf = files.find((f) => ((f as File).name ?? '').toLowerCase().endsWith('.gguf'));
  if (gguf) {
    const { lora, values } = await importGgufLoraValues(model, gguf);
    return { lora, peft: exportPeft(model, lora, values, baseName) };
  }
  const peft = await pickPeftFiles(files);
  const { lora } = await importPeftValues(model, peft);
  return { lora, peft };
}

async function adapterValues(library: AdapterLibrary, id: string, model: ModelConfig) {
  const summary = await library.get(id);
  return { summary, ...(await importPeftValues(model, await library.files(id))) };
}

/** A library adapter as llama.cpp's LoRA GGUF, for `--lora`, an Ollama `ADAPTER` line or wllama. */
export async function ggufLoraExport(library: AdapterLibrary, id: string, model: ModelConfig): Promise<ExportedFile> {
  const { summary, lora, values } = await adapterValues(library, id, model);
  return { name: `${storageName(summary.name)}-lora.gguf`, blob: exportGgufLora(model, lora, values, summary.name) };
}

export interface MergedExportRequest {
  library: AdapterLibrary;
  storage: LabStorage;
  id: string;
  model: ModelConfig;
  file: GgufFile;
  source: Blob | ByteSource;
  baseName: string;
  quant: QuantizableType;
  signal?: AbortSignal;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

const EXPORTS = 'exports';

export function checkMergeType(quant: string): QuantizableType {
  if (!(MERGE_TYPES as readonly string[]).includes(quant))
    throw new LabError(
      `"${quant}" is not a format the merged weights can be written in`,
      'merged export',
      `Choose one of ${MERGE_TYPES.join(', ')}.`,
    );
  return quant as QuantizableType;
}

/** The merge's plan, refused (with its numbers) when the storage cannot hold the merged file. */
export async function checkedMergePlan(request: Omit<MergedExportRequest, 'signal' | 'onProgress'>): Promise<MergePlan> {
  const summary = await request.library.get(request.id);
  const plan = planMerge(request.file, request.model, summary.lora, checkMergeType(request.quant));
  const usage = await request.storage.usage();
  // The previous export is replaced, so its bytes count as free.
  let replaced = 0;
  for (const name of await request.storage.list(EXPORTS)) replaced += (await request.storage.read(`${EXPORTS}/${name}`))?.size ?? 0;
  if (usage && plan.outputBytes > usage.quotaBytes - usage.usageBytes + replaced) {
    throw new LabError(
      `the merged model needs ${formatBytes(plan.outputBytes)}, the browser allows this site ${formatBytes(usage.quotaBytes - usage.usageBytes + replaced)} more`,
      'merged export',
      'Forget a kept model or delete adapters and runs, or choose a smaller format (Q4_0).',
    );
  }
  return plan;
}

/**
 * Merges a library adapter into the loaded base and writes the standalone GGUF into the lab's storage (streamed:
 * neither the base nor the merged model is held in memory), replacing the previous export; returns the stored file
 * for the user's download.
 */
export async function exportMergedModel(request: MergedExportRequest): Promise<ExportedFile> {
  const plan = await checkedMergePlan(request);
  const { lora, values } = await adapterValues(request.library, request.id, request.model);
  const name = `${storageName(request.baseName.replace(/\.gguf$/i, ''))}-${storageName((await request.library.get(request.id)).name)}-${request.quant}.gguf`;
  await request.storage.remove(EXPORTS);
  const chunks = mergedGgufChunks(request.source, request.file, request.model, lora, values, request.quant, { signal: request.signal });
  try {
    await request.storage.write(
      `${EXPORTS}/${name}`,
      { size: plan.outputBytes, chunks },
      { signal: request.signal, onProgress: request.onProgress },
    );
  } catch (error) {
    await request.storage.remove(EXPORTS);
    throw error;
  }
  const blob = await request.storage.read(`${EXPORTS}/${name}`);
  if (!blob) throw new LabError('the merged model was written but cannot be read back', `${request.storage.location} ${EXPORTS}/${name}`);
  return { name, blob };
}

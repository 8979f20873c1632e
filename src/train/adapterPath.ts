import { statSync } from 'node:fs';
import { LabError } from '../errors';
import { openFileSource } from '../formats/nodeFileSource';
import type { ModelConfig } from '../model/config';
import type { LoraConfig } from '../model/lora/lora';
import { importGgufLoraValues } from '../model/lora/loraGguf';
import { importPeftValues } from '../model/lora/loraPeft';
import { readPeftDirectory } from './peftDirectory';

/**
 * Node: the adapter at `path`, read against `model` — a PEFT directory (adapter_config.json +
 * adapter_model.safetensors) or a llama.cpp LoRA GGUF file (what `lora-lab export --format gguf-lora` and
 * llama.cpp's convert_lora_to_gguf.py write).
 */
export async function readAdapterPath(model: ModelConfig, path: string): Promise<{ lora: LoraConfig; values: Float32Array }> {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new LabError('not found', path, 'Point at a PEFT adapter directory or a LoRA .gguf file.');
  }
  if (isFile) return importGgufLoraValues(model, await openFileSource(path));
  return importPeftValues(model, await readPeftDirectory(path));
}

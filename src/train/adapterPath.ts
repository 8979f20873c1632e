import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { LabError } from '../errors';
import { openFileSource } from '../formats/nodeFileSource';
import type { ModelConfig } from '../model/config';
import type { LoraConfig } from '../model/lora/lora';
import { importGgufLoraValues } from '../model/lora/loraGguf';
import { importPeftValues } from '../model/lora/loraPeft';
import { readPeftDirectory } from './peftDirectory';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from './peftFiles';

/**
 * Node: the adapter at `path`, read against `model` — a PEFT directory (adapter_config.json +
 * adapter_model.safetensors) or a llama.cpp LoRA GGUF file (what `lora-lab export --format gguf-lora` and
 * llama.cpp's convert_lora_to_gguf.py write).
 */
export async function readAdapterPath(model: ModelConfig, path: string): Promise<{ lora: LoraConfig; values: Float32Array }> {
  if (isAdapterFile(path)) return importGgufLoraValues(model, await openFileSource(path));
  return importPeftValues(model, await readPeftDirectory(path));
}

/** Node: the adapter at `path` as the files the engine's importAdapter takes (the page's file picker hands it the same). */
export async function adapterPathFiles(path: string): Promise<File[]> {
  if (isAdapterFile(path)) return [new File([readFileSync(path)], basename(path))];
  const { config, weights } = await readPeftDirectory(path);
  return [new File([config], PEFT_CONFIG_FILE), new File([weights], PEFT_WEIGHTS_FILE)];
}

function isAdapterFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    throw new LabError('not found', path, 'Point at a PEFT adapter directory or a LoRA .gguf file.');
  }
}

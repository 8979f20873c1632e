import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../errors';
import type { PeftFiles } from '../model/lora/loraPeft';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from './peftFiles';

/** Node: a PEFT adapter directory's two files (what `lora-lab generate`, `eval` and `export` read for `--adapter <dir>`). */
export async function readPeftDirectory(dir: string): Promise<PeftFiles> {
  for (const name of [PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE]) {
    if (!existsSync(join(dir, name)))
      throw new LabError(
        `has no ${name}`,
        dir,
        'Point at a directory holding a PEFT adapter (adapter_config.json + adapter_model.safetensors).',
      );
  }
  return {
    config: await readFile(join(dir, PEFT_CONFIG_FILE), 'utf8'),
    weights: new Blob([await readFile(join(dir, PEFT_WEIGHTS_FILE))]),
  };
}

/** Node: writes a PEFT adapter directory (`lora-lab export --format peft`). */
export async function writePeftDirectory(dir: string, files: PeftFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, PEFT_CONFIG_FILE), files.config);
  await writeFile(join(dir, PEFT_WEIGHTS_FILE), new Uint8Array(await files.weights.arrayBuffer()));
}

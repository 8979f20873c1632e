import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckpointStore } from './checkpoint';

/**
 * A run's checkpoint in a directory (Node: the CLI and tests): `<dir>/checkpoint.safetensors`, written to a
 * temporary file and renamed over the old one, so an interrupted save never leaves a half-written checkpoint.
 */
export class FsCheckpointStore implements CheckpointStore {
  readonly location: string;

  constructor(private readonly dir: string) {
    this.location = join(dir, 'checkpoint.safetensors');
  }

  async save(checkpoint: Blob): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.location}.tmp`;
    await writeFile(tmp, new Uint8Array(await checkpoint.arrayBuffer()));
    await rename(tmp, this.location);
  }

  async load(): Promise<Blob | undefined> {
    if (!existsSync(this.location)) return undefined;
    return new Blob([await readFile(this.location)]);
  }
}

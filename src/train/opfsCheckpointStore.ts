import type { CheckpointStore } from './checkpoint';

const FILE = 'checkpoint.safetensors';

/**
 * A run's checkpoint in the Origin Private File System: `runs/<runId>/checkpoint.safetensors`. A reloaded page
 * finds it under the same run id. The writable stream only replaces the file when it is closed, so a tab closed
 * mid-write leaves the previous checkpoint intact.
 */
export class OpfsCheckpointStore implements CheckpointStore {
  readonly location: string;

  constructor(
    private readonly runId: string,
    private readonly root: () => Promise<FileSystemDirectoryHandle> = () => navigator.storage.getDirectory(),
  ) {
    this.location = `OPFS runs/${runId}/${FILE}`;
  }

  private async directory(): Promise<FileSystemDirectoryHandle> {
    const runs = await (await this.root()).getDirectoryHandle('runs', { create: true });
    return runs.getDirectoryHandle(this.runId, { create: true });
  }

  async save(checkpoint: Blob): Promise<void> {
    const handle = await (await this.directory()).getFileHandle(FILE, { create: true });
    const writable = await handle.createWritable();
    await writable.write(checkpoint);
    await writable.close();
  }

  async load(): Promise<Blob | undefined> {
    try {
      const handle = await (await this.directory()).getFileHandle(FILE);
      return await handle.getFile();
    } catch (error) {
      if ((error as DOMException).name === 'NotFoundError') return undefined;
      throw error;
    }
  }
}

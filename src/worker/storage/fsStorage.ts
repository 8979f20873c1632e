import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openAsBlob,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ScratchFile, type RawFile } from '../../util/scratchFile';
import { forEachChunk, pathSegments, type FileContents, type LabStorage, type StorageUsage, type WriteOptions } from './labStorage';

/**
 * The lab's storage in a directory (Node: the CLI and tests), laid out as in OPFS. A file is written to
 * `<name>.tmp` and renamed over the old one, so an interrupted write never leaves half a file. Node only.
 */
export class FsStorage implements LabStorage {
  constructor(readonly location: string) {}

  private file(path: string): string {
    return join(this.location, ...pathSegments(path));
  }

  async read(path: string): Promise<Blob | undefined> {
    const file = this.file(path);
    if (!existsSync(file) || !(await stat(file)).isFile()) return undefined;
    // Backed by the file, read as it is sliced: a kept 4 GB model is not read into memory to be loaded.
    return openAsBlob(file);
  }

  async write(path: string, data: FileContents, options: WriteOptions = {}): Promise<void> {
    const file = this.file(path);
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await forEachChunk(data, options, async (chunk) => {
        await handle.write(new Uint8Array(await chunk.arrayBuffer()));
      });
    } catch (error) {
      await handle.close();
      await rm(tmp, { force: true });
      throw error;
    }
    await handle.close();
    await rename(tmp, file);
  }

  async list(dir: string): Promise<string[]> {
    const folder = this.file(dir);
    if (!existsSync(folder)) return [];
    return (await readdir(folder)).filter((n) => !n.endsWith('.tmp')).sort();
  }

  async remove(path: string): Promise<void> {
    await rm(this.file(path), { recursive: true, force: true });
  }

  /** A directory has no quota of its own; the lab's quota check is the browser's. */
  async usage(): Promise<StorageUsage | undefined> {
    return undefined;
  }

  /** Nothing evicts a directory. */
  async persist(): Promise<boolean> {
    return true;
  }

  async openScratch(path: string): Promise<ScratchFile> {
    const file = this.file(path);
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(file, existsSync(file) ? 'r+' : 'w+');
    const raw: RawFile = {
      read: (into, at) => readSync(fd, into, 0, into.length, at),
      write: (bytes, at) => writeSync(fd, bytes, 0, bytes.length, at),
      getSize: () => fstatSync(fd).size,
      truncate: (size) => ftruncateSync(fd, size),
      flush: () => fdatasyncSync(fd),
      close: () => closeSync(fd),
    };
    return new ScratchFile(raw, file);
  }
}

import { LabError } from '../../errors';
import { MemoryRawFile, ScratchFile, type RawFile } from '../../util/scratchFile';
import {
  forEachChunk,
  MemoryStorage,
  pathSegments,
  type FileContents,
  type LabStorage,
  type StorageUsage,
  type WriteOptions,
} from './labStorage';

function notFound(error: unknown): boolean {
  const name = (error as DOMException).name;
  return name === 'NotFoundError' || name === 'TypeMismatchError';
}

/** The browser's "QuotaExceededError" as a message that says what to free. */
function quotaError(error: unknown, path: string): unknown {
  if ((error as DOMException).name !== 'QuotaExceededError') return error;
  return new LabError(
    "the browser's storage for this site is full",
    `OPFS ${path}`,
    'Forget kept models, or delete adapters and interrupted runs, then try again.',
  );
}

/**
 * The lab's storage in the page: the origin-private file system (OPFS), which survives reloads and is invisible to
 * other sites. `createWritable` writes to a swap file that replaces the old one only on `close`, so an interrupted
 * write (closed tab, quota exceeded, cancel) leaves the previous file.
 */
export class OpfsStorage implements LabStorage {
  readonly location = 'OPFS';

  constructor(private readonly root: () => Promise<FileSystemDirectoryHandle> = () => navigator.storage.getDirectory()) {}

  static available(): boolean {
    return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function';
  }

  private async folder(segments: string[], create: boolean): Promise<FileSystemDirectoryHandle | undefined> {
    let dir = await this.root();
    try {
      for (const s of segments) dir = await dir.getDirectoryHandle(s, { create });
      return dir;
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  }

  async read(path: string): Promise<Blob | undefined> {
    const segments = pathSegments(path);
    const dir = await this.folder(segments.slice(0, -1), false);
    if (!dir) return undefined;
    try {
      return await (await dir.getFileHandle(segments.at(-1)!)).getFile();
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  }

  async write(path: string, data: FileContents, options: WriteOptions = {}): Promise<void> {
    const segments = pathSegments(path);
    const dir = (await this.folder(segments.slice(0, -1), true))!;
    const handle = await dir.getFileHandle(segments.at(-1)!, { create: true });
    const writable = await handle.createWritable();
    try {
      await forEachChunk(data, options, (chunk) => writable.write(chunk));
    } catch (error) {
      await writable.abort();
      throw quotaError(error, path);
    }
    try {
      await writable.close();
    } catch (error) {
      throw quotaError(error, path);
    }
  }

  async list(dir: string): Promise<string[]> {
    const folder = await this.folder(pathSegments(dir), false);
    if (!folder) return [];
    const names: string[] = [];
    // `keys()` is in every OPFS implementation but not yet in TypeScript's DOM typings.
    for await (const name of (folder as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
    return names.sort();
  }

  async remove(path: string): Promise<void> {
    const segments = pathSegments(path);
    const dir = await this.folder(segments.slice(0, -1), false);
    if (!dir) return;
    try {
      await dir.removeEntry(segments.at(-1)!, { recursive: true });
    } catch (error) {
      if (!notFound(error)) throw error;
    }
  }

  async usage(): Promise<StorageUsage | undefined> {
    if (typeof navigator.storage?.estimate !== 'function') return undefined;
    const estimate = await navigator.storage.estimate();
    if (estimate.quota === undefined) return undefined;
    return { usageBytes: estimate.usage ?? 0, quotaBytes: estimate.quota, persisted: (await navigator.storage.persisted?.()) ?? false };
  }

  async persist(): Promise<boolean> {
    if (typeof navigator.storage?.persist !== 'function') return false;
    return navigator.storage.persist();
  }

  /**
   * A sync access handle: dedicated workers only (the engine's). Elsewhere the file is kept in memory instead, so the
   * engine still works where it runs on the page's thread, holding its rows in the heap.
   */
  async openScratch(path: string): Promise<ScratchFile> {
    const segments = pathSegments(path);
    const dir = (await this.folder(segments.slice(0, -1), true))!;
    const handle = await dir.getFileHandle(segments.at(-1)!, { create: true });
    if (typeof (handle as unknown as SyncAccessible).createSyncAccessHandle !== 'function')
      return new ScratchFile(new MemoryRawFile(), `memory ${path}`);
    const sync = await (handle as unknown as SyncAccessible).createSyncAccessHandle();
    const raw: RawFile = {
      read: (into, at) => sync.read(into, { at }),
      write: (bytes, at) => {
        try {
          return sync.write(bytes, { at });
        } catch (error) {
          throw quotaError(error, path);
        }
      },
      getSize: () => sync.getSize(),
      truncate: (size) => sync.truncate(size),
      flush: () => sync.flush(),
      close: () => sync.close(),
    };
    return new ScratchFile(raw, `OPFS ${path}`);
  }
}

/** FileSystemSyncAccessHandle's synchronous methods (TypeScript's DOM typings have them as promises). */
interface SyncAccessible {
  createSyncAccessHandle(): Promise<{
    read(into: Uint8Array, options: { at: number }): number;
    write(bytes: Uint8Array, options: { at: number }): number;
    getSize(): number;
    truncate(size: number): void;
    flush(): void;
    close(): void;
  }>;
}

/** The page's storage: OPFS where the browser has it, else memory (kept for the session only). */
export function browserLabStorage(): LabStorage {
  return OpfsStorage.available() ? new OpfsStorage() : new MemoryStorage();
}

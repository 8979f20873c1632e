import { LabError } from '../../errors';
import { MemoryRawFile, ScratchFile } from '../../util/scratchFile';

/** Bytes the origin uses and may use (`navigator.storage.estimate()` in the page). */
export interface StorageUsage {
  usageBytes: number;
  quotaBytes: number;
  /** Whether the browser promised not to evict this site's storage under pressure (`navigator.storage.persisted()`). */
  persisted: boolean;
}

export interface WriteOptions {
  /** Called after each chunk with the bytes written so far. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Checked between chunks; an aborted write leaves the previous file (or none) in place. */
  signal?: AbortSignal;
}

/** A file produced piece by piece as it is computed (a merged model), its size known before the first byte. */
export interface ByteStream {
  size: number;
  chunks: AsyncIterable<Uint8Array>;
}

/** What `LabStorage.write` takes: text, a Blob, or a stream never held whole in memory. */
export type FileContents = Blob | string | ByteStream;

/**
 * What the lab keeps across page reloads (training runs, the adapters library, kept model files), as files under
 * slash-separated paths: the origin-private file system in the page, a directory or memory in Node. Writes replace
 * a file whole, so a tab closed mid-write leaves the previous version.
 */
export interface LabStorage {
  /** Where it is, for messages ("OPFS", a directory path, "memory"). */
  readonly location: string;
  read(path: string): Promise<Blob | undefined>;
  /** Writes in chunks (a 4 GB model file is never held in memory), replacing the file when complete. */
  write(path: string, data: FileContents, options?: WriteOptions): Promise<void>;
  /** Names of the entries directly under `dir` (files and folders), sorted; empty when `dir` does not exist. */
  list(dir: string): Promise<string[]>;
  /** Removes a file or a folder with everything in it; nothing happens when it does not exist. */
  remove(path: string): Promise<void>;
  usage(): Promise<StorageUsage | undefined>;
  /**
   * Asks that the storage not be evicted when the disk runs low (a kept 4 GB model is the first thing a browser
   * would drop); returns whether it is now persistent.
   */
  persist(): Promise<boolean>;
  /**
   * Opens the file at `path` (created empty if missing) for synchronous reads and appends while the engine works
   * through data too large for the heap (util/scratchFile.ts). Close it before removing it.
   */
  openScratch(path: string): Promise<ScratchFile>;
}

/** Bytes copied per chunk when writing a large file. */
export const WRITE_CHUNK_BYTES = 16 << 20;

/** One path segment: a file or folder name everywhere the lab keeps things (no separators, not "." or ".."). */
const SEGMENT = /^(?!\.+$)[\w.-]+$/;

/** A path's segments, refusing anything that could leave the storage root. */
export function pathSegments(path: string): string[] {
  const segments = path.split('/');
  for (const s of segments) {
    if (!SEGMENT.test(s))
      throw new LabError(
        `path "${path}" has a part "${s}" that is not a plain file name`,
        'storage',
        'Use letters, digits, "_", "-" and ".".',
      );
  }
  return segments;
}

/** A name made safe as a path segment (a user's file name or adapter name), kept readable. */
export function storageName(name: string): string {
  const safe = name
    .replace(/[^\w.-]+/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 80);
  return safe === '' ? '_' : safe;
}

export async function readText(storage: LabStorage, path: string): Promise<string | undefined> {
  return (await storage.read(path))?.text();
}

export async function readJson<T>(storage: LabStorage, path: string): Promise<T | undefined> {
  const text = await readText(storage, path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new LabError(
      `is not valid JSON (${(error as Error).message})`,
      `${storage.location} ${path}`,
      "Delete it from the lab, or clear the site's storage.",
    );
  }
}

export function writeJson(storage: LabStorage, path: string, value: unknown): Promise<void> {
  return storage.write(path, JSON.stringify(value));
}

function checkAborted(options: WriteOptions): void {
  if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new LabError('cancelled', 'storage');
}

/** Calls `write` for each chunk of `data`, reporting progress and stopping when `signal` aborts. */
export async function forEachChunk(contents: FileContents, options: WriteOptions, write: (chunk: Blob) => Promise<void>): Promise<void> {
  if (typeof contents === 'object' && 'chunks' in contents) {
    let done = 0;
    for await (const bytes of contents.chunks) {
      checkAborted(options);
      await write(new Blob([bytes as Uint8Array<ArrayBuffer>]));
      done += bytes.length;
      options.onProgress?.(done, contents.size);
    }
    if (done !== contents.size) throw new LabError(`the stream gave ${done} bytes, ${contents.size} were announced`, 'storage');
    return;
  }
  const data = typeof contents === 'string' ? new Blob([contents]) : contents;
  for (let offset = 0; offset < data.size || offset === 0; offset += WRITE_CHUNK_BYTES) {
    checkAborted(options);
    const chunk = data.slice(offset, offset + WRITE_CHUNK_BYTES);
    await write(chunk);
    options.onProgress?.(Math.min(offset + WRITE_CHUNK_BYTES, data.size), data.size);
    if (data.size === 0) break;
  }
}

/** Storage in memory: tests, and the page where the browser offers no OPFS (kept for the session only). */
export class MemoryStorage implements LabStorage {
  readonly location = 'memory';
  private readonly files = new Map<string, Blob>();
  private readonly scratch = new Map<string, MemoryRawFile>();

  /** `quotaBytes`: what `usage()` reports as the quota (tests of the quota check). */
  constructor(private readonly quotaBytes = Number.POSITIVE_INFINITY) {}

  async read(path: string): Promise<Blob | undefined> {
    const key = pathSegments(path).join('/');
    const scratch = this.scratch.get(key);
    return scratch ? new Blob([scratch.contents()]) : this.files.get(key);
  }

  async write(path: string, data: FileContents, options: WriteOptions = {}): Promise<void> {
    const key = pathSegments(path).join('/');
    const parts: Blob[] = [];
    await forEachChunk(data, options, async (chunk) => void parts.push(chunk));
    this.files.set(key, new Blob(parts));
  }

  async list(dir: string): Promise<string[]> {
    const prefix = pathSegments(dir).join('/') + '/';
    const names = new Set<string>();
    for (const key of [...this.files.keys(), ...this.scratch.keys()])
      if (key.startsWith(prefix)) names.add(key.slice(prefix.length).split('/')[0]);
    return [...names].sort();
  }

  async remove(path: string): Promise<void> {
    const key = pathSegments(path).join('/');
    for (const map of [this.files, this.scratch]) for (const k of [...map.keys()]) if (k === key || k.startsWith(key + '/')) map.delete(k);
  }

  async openScratch(path: string): Promise<ScratchFile> {
    const key = pathSegments(path).join('/');
    if (!this.scratch.has(key)) {
      const file = new MemoryRawFile();
      const old = this.files.get(key);
      if (old) file.write(new Uint8Array(await old.arrayBuffer()), 0);
      this.files.delete(key);
      this.scratch.set(key, file);
    }
    return new ScratchFile(this.scratch.get(key)!, `memory ${key}`);
  }

  async usage(): Promise<StorageUsage | undefined> {
    let usageBytes = 0;
    for (const blob of this.files.values()) usageBytes += blob.size;
    return { usageBytes, quotaBytes: this.quotaBytes, persisted: false };
  }

  /** Memory ends with the session whatever is asked. */
  async persist(): Promise<boolean> {
    return false;
  }
}

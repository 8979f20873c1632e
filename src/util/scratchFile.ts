/**
 * Files for data too large for the JS heap that the engine reads back at random while it works: kept dataset rows,
 * near-duplicate signatures, packed training rows. Reads and appends are synchronous (an OPFS sync access handle in
 * the worker, a file descriptor in Node), so a loop over millions of rows never waits on a promise per row.
 * Appends are gathered into `APPEND_BUFFER_BYTES` before they reach the file; a read sees them all the same.
 */

/** What a storage gives: synchronous positional I/O on one file (the shape of an OPFS FileSystemSyncAccessHandle). */
export interface RawFile {
  read(into: Uint8Array, at: number): number;
  write(bytes: Uint8Array, at: number): number;
  getSize(): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}

/** Opens (creating it if missing) the scratch file `name` of one owner (a dataset collection, a training run). */
export type ScratchOpener = (name: string) => Promise<ScratchFile>;

const APPEND_BUFFER_BYTES = 1 << 20;

export class ScratchFile {
  private readonly buffer = new Uint8Array(APPEND_BUFFER_BYTES);
  private buffered = 0;
  private written: number;
  private closed = false;

  constructor(
    private readonly file: RawFile,
    readonly location: string,
  ) {
    this.written = file.getSize();
  }

  /** Bytes in the file, appends not yet flushed included. */
  get size(): number {
    return this.written + this.buffered;
  }

  append(bytes: Uint8Array): void {
    if (this.buffered + bytes.length > this.buffer.length) this.flushBuffer();
    if (bytes.length > this.buffer.length) {
      this.writeAll(bytes, this.written);
      this.written += bytes.length;
      return;
    }
    this.buffer.set(bytes, this.buffered);
    this.buffered += bytes.length;
  }

  /** Fills `into` with the bytes from `at`; a range past the end is an error, never a short read. */
  read(into: Uint8Array, at: number): Uint8Array {
    if (at < 0 || at + into.length > this.size)
      throw new RangeError(`${this.location}: bytes ${at}..${at + into.length} asked of a file of ${this.size}`);
    if (at + into.length > this.written) this.flushBuffer();
    let done = 0;
    while (done < into.length) {
      const n = this.file.read(into.subarray(done), at + done);
      if (n <= 0) throw new RangeError(`${this.location}: the file ended at byte ${at + done}`);
      done += n;
    }
    return into;
  }

  /** Drops everything from byte `size` on (a shard that failed half-way). */
  truncate(size: number): void {
    this.flushBuffer();
    this.file.truncate(size);
    this.written = size;
  }

  /** Flushes and releases the file; closing again does nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.flushBuffer();
    this.file.flush();
    this.file.close();
  }

  private flushBuffer(): void {
    if (this.buffered === 0) return;
    this.writeAll(this.buffer.subarray(0, this.buffered), this.written);
    this.written += this.buffered;
    this.buffered = 0;
  }

  private writeAll(bytes: Uint8Array, at: number): void {
    let done = 0;
    while (done < bytes.length) done += this.file.write(bytes.subarray(done), at + done);
  }
}

/** A RawFile in memory: tests, the CLI, and a page without OPFS sync access (its rows then live in the heap). */
export class MemoryRawFile implements RawFile {
  private bytes = new Uint8Array(1 << 16);
  private length = 0;

  read(into: Uint8Array, at: number): number {
    const n = Math.max(0, Math.min(into.length, this.length - at));
    into.set(this.bytes.subarray(at, at + n));
    return n;
  }

  write(bytes: Uint8Array, at: number): number {
    const end = at + bytes.length;
    if (end > this.bytes.length) {
      const grown = new Uint8Array(Math.max(end, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(bytes, at);
    this.length = Math.max(this.length, end);
    return bytes.length;
  }

  getSize(): number {
    return this.length;
  }

  truncate(size: number): void {
    this.length = Math.min(this.length, size);
  }

  /** The file's bytes (a copy), for storages that list memory files as Blobs. */
  contents(): Uint8Array<ArrayBuffer> {
    return this.bytes.slice(0, this.length);
  }

  flush(): void {}

  close(): void {}
}

/** Scratch files in memory, one per name (each open gives the same file). */
export function memoryScratch(): ScratchOpener {
  const files = new Map<string, MemoryRawFile>();
  return async (name) => {
    if (!files.has(name)) files.set(name, new MemoryRawFile());
    return new ScratchFile(files.get(name)!, `memory ${name}`);
  };
}

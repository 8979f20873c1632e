/**
 * Kept rows in scratch files rather than the heap: each shard's Examples (less the shard name, the file's) as JSON
 * records, and the records' offsets in a typed array (8 bytes a row). A read in order is served from a read-ahead
 * window; a read elsewhere fetches just its record.
 */
import { ChunkedArray } from '../util/chunkedArray';
import type { ScratchFile } from '../util/scratchFile';
import type { Example, ExampleSource } from './example';

const WINDOW_BYTES = 1 << 20;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class RowFile implements ExampleSource {
  private readonly offsets = new ChunkedArray((n) => new Float64Array(n));
  private count = 0;
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;
  private lastRead = -1;

  /** `file`: empty, owned by this RowFile from now on. */
  constructor(
    readonly shard: string,
    private readonly file: ScratchFile,
  ) {
    this.offsets.set(0, 0);
  }

  get length(): number {
    return this.count;
  }

  append(example: Example): void {
    const { shard: _shard, ...record } = example;
    this.file.append(encoder.encode(JSON.stringify(record)));
    this.count++;
    this.offsets.set(this.count, this.file.size);
  }

  at(index: number): Example | undefined {
    if (!(index >= 0 && index < this.count)) return undefined;
    const record = JSON.parse(decoder.decode(this.bytes(index))) as Omit<Example, 'shard'>;
    return { ...record, shard: this.shard };
  }

  close(): void {
    this.file.close();
  }

  private bytes(index: number): Uint8Array {
    const start = this.offsets.get(index);
    const end = this.offsets.get(index + 1);
    const sequential = index === this.lastRead + 1;
    this.lastRead = index;
    const windowEnd = this.windowStart + this.window.length;
    if (start >= this.windowStart && end <= windowEnd) return this.window.subarray(start - this.windowStart, end - this.windowStart);
    if (!sequential) return this.file.read(new Uint8Array(end - start), start);
    this.windowStart = start;
    this.window = this.file.read(new Uint8Array(Math.max(end, Math.min(start + WINDOW_BYTES, this.file.size)) - start), start);
    return this.window.subarray(0, end - start);
  }
}

/** The kept rows of several shards as one source, shard after shard. */
export class KeptRows implements ExampleSource {
  private readonly starts: number[] = [];
  readonly length: number;

  constructor(readonly files: readonly RowFile[]) {
    let total = 0;
    for (const f of files) {
      this.starts.push(total);
      total += f.length;
    }
    this.length = total;
  }

  at(index: number): Example | undefined {
    if (!(index >= 0 && index < this.length)) return undefined;
    let f = this.files.length - 1;
    while (this.starts[f] > index) f--;
    return this.files[f].at(index - this.starts[f]);
  }
}

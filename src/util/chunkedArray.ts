/**
 * A typed array that grows by whole chunks: growing never copies what is there (no moment with the old and the
 * new array both alive) and leaves at most one chunk unused. For per-row state of millions of rows.
 */
type Typed = Int32Array | Uint32Array | Uint8Array | Float64Array;

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

export class ChunkedArray<T extends Typed> {
  private readonly chunks: T[] = [];

  constructor(
    private readonly make: (length: number) => T,
    private readonly fill = 0,
  ) {}

  get(index: number): number {
    return this.chunks[index >>> CHUNK_BITS][index & MASK];
  }

  /** Sets `index`, adding chunks up to it. */
  set(index: number, value: number): void {
    while (index >>> CHUNK_BITS >= this.chunks.length) this.chunks.push(this.make(CHUNK).fill(this.fill) as T);
    this.chunks[index >>> CHUNK_BITS][index & MASK] = value;
  }

  /** Keeps the chunks holding indices below `length` (the rest is freed). */
  truncate(length: number): void {
    this.chunks.length = Math.min(this.chunks.length, Math.ceil(length / CHUNK));
  }

  /** Bytes held. */
  get bytes(): number {
    return this.chunks.reduce((sum, c) => sum + c.byteLength, 0);
  }
}

/**
 * LSH buckets for near-duplicate search, compact enough for millions of rows (about 100 bytes a row at 16 bands):
 * a table of bucket heads indexed by a hash of (band, band key), and per (row, band) entry a link to the next older
 * entry of its bucket and 8 bits of another hash of its key. The keys themselves are not kept: buckets may share a
 * chain, and the 8 bits let through about 1 in 256 entries of other keys, so `candidates` gives every row that shares
 * a band key and a few that do not, which the caller's similarity check turns away. When chains grow long the table
 * doubles and is rebuilt from `keysOf`, which gives rows' band keys again (the deduplicator reads its signatures).
 */
import { ChunkedArray } from '../util/chunkedArray';
import { mix32 } from './textKeys';

const EMPTY = -1;
/** Entries per bucket, on average, before the table doubles. */
const MAX_CHAIN = 4;
/** Rows whose keys `keysOf` is asked for at once while rebuilding. */
const REBUILD_ROWS = 4096;

/** Band keys of rows [first, first + count), `bands` per row. */
export type BandKeysOf = (first: number, count: number) => Uint32Array;

export class BandIndex {
  private heads = new Int32Array(1024).fill(EMPTY);
  private readonly next = new ChunkedArray((n) => new Int32Array(n));
  private readonly tags = new ChunkedArray((n) => new Uint8Array(n));
  private rowCount = 0;

  constructor(
    private readonly bands: number,
    private readonly keysOf: BandKeysOf,
  ) {
    if (!Number.isInteger(bands) || bands < 1 || bands > 255) throw new RangeError(`bands must be an integer in 1..255, got ${bands}`);
  }

  get rows(): number {
    return this.rowCount;
  }

  /** Files row `id` under each band's key; rows come in order 0, 1, 2… */
  add(id: number, bandKeys: ArrayLike<number>): void {
    if (id !== this.rowCount) throw new RangeError(`BandIndex rows come in order: expected row ${this.rowCount}, got ${id}`);
    if ((id + 1) * this.bands > this.heads.length * MAX_CHAIN) this.rebuild(this.heads.length * 2, id);
    this.insert(id, bandKeys, 0);
    this.rowCount = id + 1;
  }

  /** Calls `visit` with every row sharing a bucket with these band keys (a row may come once per shared band). */
  candidates(bandKeys: ArrayLike<number>, visit: (id: number) => void): void {
    const mask = this.heads.length - 1;
    for (let band = 0; band < this.bands; band++) {
      const h = bucketHash(band, bandKeys[band]);
      const tag = tagOf(h);
      for (let entry = this.heads[h & mask]; entry !== EMPTY; entry = this.next.get(entry)) {
        if (this.tags.get(entry) === tag && entry % this.bands === band) visit((entry / this.bands) | 0);
      }
    }
  }

  /** Forgets rows `rows` and after (a shard that failed half-way). */
  truncate(rows: number): void {
    if (rows < this.rowCount) this.rebuild(this.heads.length, rows);
  }

  private insert(id: number, bandKeys: ArrayLike<number>, offset: number): void {
    const mask = this.heads.length - 1;
    for (let band = 0; band < this.bands; band++) {
      const h = bucketHash(band, bandKeys[offset + band]);
      const entry = id * this.bands + band;
      this.next.set(entry, this.heads[h & mask]);
      this.tags.set(entry, tagOf(h));
      this.heads[h & mask] = entry;
    }
  }

  private rebuild(buckets: number, rows: number): void {
    this.heads = new Int32Array(buckets).fill(EMPTY);
    this.next.truncate(rows * this.bands);
    this.tags.truncate(rows * this.bands);
    for (let first = 0; first < rows; first += REBUILD_ROWS) {
      const count = Math.min(REBUILD_ROWS, rows - first);
      const keys = this.keysOf(first, count);
      for (let i = 0; i < count; i++) this.insert(first + i, keys, i * this.bands);
    }
    this.rowCount = rows;
  }
}

function bucketHash(band: number, key: number): number {
  return mix32(key ^ Math.imul(band + 1, 0x9e3779b1));
}

function tagOf(h: number): number {
  return mix32(h + 0x632be5ab) >>> 24;
}

/**
 * Exact and near-duplicate detection over every shard loaded so far (within and across shards).
 * Exact: a hash of the normalised prompt and response. Near: MinHash over word n-grams, with LSH banding to
 * find candidates and the signature similarity to confirm them.
 *
 * Sized for millions of rows: per kept row the heap holds its exact key (ExactKeySet), its LSH entries (BandIndex)
 * and its row number, about 150 bytes; its MinHash signature goes to a scratch file (OPFS in the page) and is read
 * back only to confirm a candidate or to rebuild the LSH table.
 *
 * Work happens in a `DedupSession` per shard; its rows join the kept set only on `commit()`. A session that never
 * commits (its shard failed half-way) is forgotten when the next one starts, leaving the collection exactly as it was.
 */
import type { Example } from './example';
import { BandIndex } from './bandIndex';
import { ExactKeySet } from './exactKeySet';
import { minhashSeeds, minhashSignature, signatureSimilarity } from './minhash';
import { hash53, mix32, normaliseText } from './textKeys';
import { ChunkedArray } from '../util/chunkedArray';
import type { ScratchFile } from '../util/scratchFile';

export interface DedupOptions {
  /** Words per shingle. */
  shingleWords: number;
  numHashes: number;
  /** LSH bands; numHashes / bands rows each. More bands find more candidates (more recall, more checks). */
  bands: number;
  /** Estimated Jaccard similarity at or above which two rows count as near duplicates. */
  threshold: number;
  /** Turn near-duplicate detection off (exact duplicates are always removed). */
  near: boolean;
  seed: number;
}

export const DEFAULT_DEDUP: DedupOptions = { shingleWords: 5, numHashes: 64, bands: 16, threshold: 0.8, near: true, seed: 1 };

/** Where the kept copy lives. */
export interface RowRef {
  shard: string;
  row: number;
}

export interface Duplicate {
  kind: 'exact' | 'near';
  of: RowRef;
  /** Estimated Jaccard similarity (1 for exact duplicates). */
  similarity: number;
}

function dedupText(e: Example): string {
  return `${e.prompt}\n${e.response}`;
}

export class Deduplicator {
  private readonly exact = new ExactKeySet();
  private readonly index: BandIndex;
  private readonly rowNumbers = new ChunkedArray((n) => new Uint32Array(n));
  /** Committed shards in order, each with the id of its first kept row. */
  private readonly shards: { name: string; firstId: number }[] = [];
  private readonly seeds: Uint32Array;
  private readonly signature: Uint32Array;
  private readonly bandKeys: Uint32Array;
  private readonly candidate: Uint32Array;
  private rows = 0;
  private committedRows = 0;

  /** `signatures`: an empty scratch file for the kept rows' MinHash signatures (unused when `near` is off). */
  constructor(
    readonly options: DedupOptions,
    private readonly signatures: ScratchFile,
  ) {
    if (options.numHashes % options.bands !== 0)
      throw new RangeError(`numHashes ${options.numHashes} is not a multiple of bands ${options.bands}`);
    this.seeds = minhashSeeds(options.numHashes, options.seed);
    this.signature = new Uint32Array(options.numHashes);
    this.bandKeys = new Uint32Array(options.bands);
    this.candidate = new Uint32Array(options.numHashes);
    this.index = new BandIndex(options.bands, (first, count) => this.storedBandKeys(first, count));
  }

  /** Rows kept so far across all committed shards. */
  get keptRows(): number {
    return this.committedRows;
  }

  close(): void {
    this.signatures.close();
  }

  /** A session for the next shard; rows of an earlier session that did not commit are forgotten first. */
  session(): DedupSession {
    if (this.rows > this.committedRows) {
      this.rows = this.committedRows;
      this.exact.truncate(this.rows);
      this.index.truncate(this.rows);
      this.signatures.truncate(this.rows * this.signature.byteLength);
    }
    return new DedupSession(this, this.rows);
  }

  /** The duplicate this row is of (kept rows of earlier shards first, then this session's), or undefined. */
  check(example: Example, firstId: number): Duplicate | undefined {
    const text = dedupText(example);
    const exactKey = hash53(`${example.kind}\u0000${normaliseText(text)}`);
    const exactId = this.exact.get(exactKey);
    if (exactId !== undefined) return { kind: 'exact', of: this.refOf(exactId, firstId, example.shard), similarity: 1 };
    if (this.options.near) {
      minhashSignature(text, this.options.shingleWords, this.seeds, this.signature);
      bandKeysOf(this.signature, this.options.bands, this.bandKeys, 0);
      const hit = this.nearest(firstId);
      if (hit) return { kind: 'near', of: this.refOf(hit.id, firstId, example.shard), similarity: hit.similarity };
    }
    const id = this.rows++;
    this.exact.add(exactKey, id);
    this.rowNumbers.set(id, example.row);
    if (this.options.near) {
      this.signatures.append(new Uint8Array(this.signature.buffer));
      this.index.add(id, this.bandKeys);
    }
    return undefined;
  }

  commit(session: DedupSession, shard: string): void {
    this.shards.push({ name: shard, firstId: session.firstId });
    this.committedRows = this.rows;
  }

  /**
   * The most similar row at or above the threshold among the LSH candidates of `this.signature`: among rows of
   * committed shards if any qualifies, else among this session's (the oldest of equals).
   */
  private nearest(firstId: number): { id: number; similarity: number } | undefined {
    const best: ({ id: number; similarity: number } | undefined)[] = [undefined, undefined];
    const checked = new Set<number>();
    this.index.candidates(this.bandKeys, (id) => {
      if (checked.has(id)) return;
      checked.add(id);
      this.signatures.read(new Uint8Array(this.candidate.buffer), id * this.candidate.byteLength);
      const similarity = signatureSimilarity(this.signature, this.candidate);
      const which = id < firstId ? 0 : 1;
      const current = best[which];
      if (
        similarity >= this.options.threshold &&
        (!current || similarity > current.similarity || (similarity === current.similarity && id < current.id))
      )
        best[which] = { id, similarity };
    });
    return best[0] ?? best[1];
  }

  private refOf(id: number, firstId: number, sessionShard: string): RowRef {
    const row = this.rowNumbers.get(id);
    if (id >= firstId) return { shard: sessionShard, row };
    let lo = 0;
    let hi = this.shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.shards[mid].firstId <= id) lo = mid;
      else hi = mid - 1;
    }
    return { shard: this.shards[lo].name, row };
  }

  private storedBandKeys(first: number, count: number): Uint32Array {
    const n = this.options.numHashes;
    const signatures = new Uint32Array(count * n);
    this.signatures.read(new Uint8Array(signatures.buffer), first * n * 4);
    const keys = new Uint32Array(count * this.options.bands);
    for (let i = 0; i < count; i++) bandKeysOf(signatures.subarray(i * n, (i + 1) * n), this.options.bands, keys, i * this.options.bands);
    return keys;
  }
}

export class DedupSession {
  private committed = false;
  constructor(
    private readonly dedup: Deduplicator,
    readonly firstId: number,
  ) {}

  /** The duplicate this row is of, or undefined (and the row is remembered as kept). */
  check(example: Example): Duplicate | undefined {
    return this.dedup.check(example, this.firstId);
  }

  /** Adds this shard's kept rows to the collection-wide set; call once, after the shard loaded completely. */
  commit(shard: string): void {
    if (this.committed) throw new Error('DedupSession.commit called twice');
    this.committed = true;
    this.dedup.commit(this, shard);
  }
}

function bandKeysOf(signature: Uint32Array, bands: number, out: Uint32Array, offset: number): void {
  const rows = signature.length / bands;
  for (let b = 0; b < bands; b++) {
    let h = b;
    for (let r = 0; r < rows; r++) h = mix32(h ^ signature[b * rows + r]) + r;
    out[offset + b] = h >>> 0;
  }
}

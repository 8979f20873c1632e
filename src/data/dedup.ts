/**
 * Exact and near-duplicate detection over every shard loaded so far (within and across shards).
 * Exact: a hash of the normalised prompt and response. Near: MinHash over word n-grams, with LSH banding to
 * find candidates and the signature similarity to confirm them.
 *
 * Work happens in a `DedupSession` per shard; its rows join the kept set only on `commit()`, so a shard that
 * fails half-way leaves the collection exactly as it was.
 */
import type { Example } from './example';
import { BandIndex } from './bandIndex';
import { minhashSeeds, minhashSignature, signatureSimilarity } from './minhash';
import { hash53, mix32, normaliseText } from './textKeys';

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

class KeptSet {
  refs: RowRef[] = [];
  exactKeys: number[] = [];
  exact = new Map<number, number>();
  signatures: Uint32Array;
  buckets: BandIndex;
  constructor(readonly options: DedupOptions) {
    this.signatures = new Uint32Array(options.near ? 1024 * options.numHashes : 0);
    this.buckets = new BandIndex(options.bands);
  }

  add(ref: RowRef, exactKey: number, signature: Uint32Array | undefined, bandKeys: number[]): void {
    const id = this.refs.length;
    this.refs.push(ref);
    this.exactKeys.push(exactKey);
    this.exact.set(exactKey, id);
    if (!signature) return;
    const n = this.options.numHashes;
    if ((id + 1) * n > this.signatures.length) {
      const grown = new Uint32Array(this.signatures.length * 2);
      grown.set(this.signatures);
      this.signatures = grown;
    }
    this.signatures.set(signature, id * n);
    this.buckets.add(id, bandKeys);
  }

  /** The most similar kept row at or above the threshold among the LSH candidates (the oldest of equals). */
  nearest(signature: Uint32Array, bandKeys: number[]): { id: number; similarity: number } | undefined {
    let best: { id: number; similarity: number } | undefined;
    const checked = new Set<number>();
    this.buckets.candidates(bandKeys, (id) => {
      if (checked.has(id)) return;
      checked.add(id);
      const similarity = signatureSimilarity(signature, this.signatures, id * this.options.numHashes);
      if (
        similarity >= this.options.threshold &&
        (!best || similarity > best.similarity || (similarity === best.similarity && id < best.id))
      )
        best = { id, similarity };
    });
    return best;
  }
}

export class Deduplicator {
  private readonly committed: KeptSet;
  private readonly seeds: Uint32Array;
  constructor(readonly options: DedupOptions = DEFAULT_DEDUP) {
    if (options.numHashes % options.bands !== 0)
      throw new RangeError(`numHashes ${options.numHashes} is not a multiple of bands ${options.bands}`);
    this.committed = new KeptSet(options);
    this.seeds = minhashSeeds(options.numHashes, options.seed);
  }

  /** Rows kept so far across all committed shards. */
  get keptRows(): number {
    return this.committed.refs.length;
  }

  session(): DedupSession {
    return new DedupSession(this.committed, this.seeds, this.options);
  }
}

export class DedupSession {
  private readonly pending: KeptSet;
  private readonly signature: Uint32Array;
  private committed = false;
  constructor(
    private readonly kept: KeptSet,
    private readonly seeds: Uint32Array,
    private readonly options: DedupOptions,
  ) {
    this.pending = new KeptSet(options);
    this.signature = new Uint32Array(options.numHashes);
  }

  /** The duplicate this row is of, or undefined (and the row is remembered as kept). */
  check(example: Example): Duplicate | undefined {
    const text = dedupText(example);
    const exactKey = hash53(`${example.kind}\u0000${normaliseText(text)}`);
    for (const set of [this.kept, this.pending]) {
      const id = set.exact.get(exactKey);
      if (id !== undefined) return { kind: 'exact', of: set.refs[id], similarity: 1 };
    }
    let bandKeys: number[] = [];
    if (this.options.near) {
      minhashSignature(text, this.options.shingleWords, this.seeds, this.signature);
      bandKeys = bandKeysOf(this.signature, this.options.bands);
      for (const set of [this.kept, this.pending]) {
        const hit = set.nearest(this.signature, bandKeys);
        if (hit) return { kind: 'near', of: set.refs[hit.id], similarity: hit.similarity };
      }
    }
    this.pending.add({ shard: example.shard, row: example.row }, exactKey, this.options.near ? this.signature : undefined, bandKeys);
    return undefined;
  }

  /** Adds this shard's kept rows to the collection-wide set; call once, after the shard loaded completely. */
  commit(): void {
    if (this.committed) throw new Error('DedupSession.commit called twice');
    this.committed = true;
    const n = this.options.numHashes;
    this.pending.refs.forEach((ref, id) => {
      const signature = this.options.near ? this.pending.signatures.subarray(id * n, (id + 1) * n) : undefined;
      this.kept.add(ref, this.pending.exactKeys[id], signature, signature ? bandKeysOf(signature, this.options.bands) : []);
    });
  }
}

function bandKeysOf(signature: Uint32Array, bands: number): number[] {
  const rows = signature.length / bands;
  const keys: number[] = [];
  for (let b = 0; b < bands; b++) {
    let h = b;
    for (let r = 0; r < rows; r++) h = mix32(h ^ signature[b * rows + r]) + r;
    keys.push(h >>> 0);
  }
  return keys;
}

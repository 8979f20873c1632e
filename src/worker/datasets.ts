import { LabError } from '../errors';
import { ContaminationIndex, DEFAULT_NGRAM_WORDS } from '../data/decontaminate';
import { evalItems } from '../data/evalSets';
import { loadShard, NoLayoutError } from '../data/shard';
import type { FieldMap } from '../data/schemas';
import { ShardCollection, type ShardReport } from '../data/shardCollection';
import { datasetStats, type DatasetStats } from '../data/datasetStats';
import type { Example, ExampleSource } from '../data/example';
import type { Tokenizer } from '../tokenizer';
import { MemoryStorage, type LabStorage } from './storage/labStorage';

export interface EvalSetSummary {
  name: string;
  problems: number;
  /** Problems too short for a run of their words to match: only a row with the very same problem does. */
  verbatimOnly: number;
}

export interface DataSummary {
  shards: ShardReport[];
  evalSets: EvalSetSummary[];
  ngramWords: number;
  stats: DatasetStats;
}

export interface DatasetOptions {
  /** Words an n-gram shares with an evaluation problem to count as contamination (default DEFAULT_NGRAM_WORDS). */
  ngramWords?: number;
  /** Keep the examples to train on (default); false only reports on the shards, for files too large to hold. */
  keepExamples?: boolean;
}

export interface AddShardsResult {
  added: ShardReport[];
  /**
   * Files that are not datasets, with the reason; the shards loaded before are untouched. `fields` lists the field
   * names of a file whose layout was not recognised, for the user to map (addShards' `fields`) and try again.
   */
  failed: { name: string; message: string; fields?: string[] }[];
}

/** The field names of a file whose layout was not recognised (none for a file without fields). */
function unmappedFields(error: unknown): string[] | undefined {
  return error instanceof NoLayoutError && error.fieldNames.length > 0 ? error.fieldNames : undefined;
}

function nameOf(blob: Blob, fallback: string): string {
  return (blob as File).name || fallback;
}

/** Where collections keep their rows: one folder per collection, `datasets/<id>`. */
const SCRATCH_ROOT = 'datasets';

/**
 * The user's training shards and the evaluation sets they are decontaminated against. Changing the evaluation
 * sets re-cleans every shard, so what is kept never depends on the order things were dropped in. Kept rows live in
 * scratch files in `storage` (OPFS in the page), a folder per collection, removed when the collection is replaced.
 */
export class DatasetWorkspace {
  private files: { blob: Blob; name: string; fields?: FieldMap }[] = [];
  private evalSets: { blob: Blob; name: string; examples: Example[]; unit: ShardReport['unit'] }[] = [];
  private collection: ShardCollection;
  private collectionDir: string;
  private staleRemoved = false;
  /** The last summary's statistics, until the collection or the tokenizer changes (with a model, they tokenize every row). */
  private stats: { collection: ShardCollection; shards: number; tokenizer?: Tokenizer; stats: DatasetStats } | undefined;

  private readonly ngramWords: number;

  constructor(
    private readonly options: DatasetOptions = {},
    private readonly storage: LabStorage = new MemoryStorage(),
  ) {
    this.ngramWords = options.ngramWords ?? DEFAULT_NGRAM_WORDS;
    [this.collection, this.collectionDir] = this.newCollection();
  }

  private newCollection(contamination?: ContaminationIndex): [ShardCollection, string] {
    const dir = `${SCRATCH_ROOT}/${crypto.randomUUID()}`;
    const scratch = (name: string) => this.storage.openScratch(`${dir}/${name}`);
    return [new ShardCollection({ contamination, keepExamples: this.options.keepExamples, scratch }), dir];
  }

  /** Folders of collections an earlier page left behind (one still open in another tab cannot be removed, and stays). */
  private async removeStaleCollections(): Promise<void> {
    if (this.staleRemoved) return;
    this.staleRemoved = true;
    for (const name of await this.storage.list(SCRATCH_ROOT)) {
      if (`${SCRATCH_ROOT}/${name}` !== this.collectionDir) await this.storage.remove(`${SCRATCH_ROOT}/${name}`).catch(() => undefined);
    }
  }

  /** `fields` maps the layout of every file in this call (for layouts that are not detected). */
  async addShards(
    blobs: Blob[],
    onProgress?: (name: string, read: number, total: number) => void,
    fields?: FieldMap,
  ): Promise<AddShardsResult> {
    await this.removeStaleCollections();
    const result: AddShardsResult = { added: [], failed: [] };
    for (const [i, blob] of blobs.entries()) {
      const name = nameOf(blob, `shard-${this.files.length + i + 1}`);
      try {
        result.added.push(await this.collection.add(blob, name, { fields, onProgress: (read, total) => onProgress?.(name, read, total) }));
        this.files.push({ blob, name, fields });
      } catch (error) {
        const unmapped = unmappedFields(error);
        result.failed.push({
          name,
          message: error instanceof Error ? error.message : String(error),
          ...(unmapped ? { fields: unmapped } : {}),
        });
      }
    }
    return result;
  }

  /** Adds an evaluation set (MATH, MATH-500, GSM8K test...) to decontaminate against, and re-cleans the shards. */
  async addEvalSet(blob: Blob): Promise<EvalSetSummary> {
    const name = nameOf(blob, `eval-${this.evalSets.length + 1}`);
    if (this.evalSets.some((e) => e.name === name)) throw new LabError('this evaluation set is already in use', name);
    const loaded = await loadShard(blob, name);
    if (loaded.examples.length === 0) throw new LabError('has no problems to decontaminate against', name);
    this.evalSets.push({ blob, name, examples: loaded.examples, unit: loaded.unit });
    await this.rebuild();
    return this.evalSetSummaries().find((s) => s.name === name)!;
  }

  async removeShard(name: string): Promise<void> {
    if (!this.files.some((f) => f.name === name)) throw new LabError('no shard with this name is loaded', name);
    this.files = this.files.filter((f) => f.name !== name);
    await this.rebuild();
  }

  examples(): ExampleSource {
    return this.collection.examples();
  }

  /** The kept rows of one shard, or undefined when no shard has this name. */
  shardExamples(name: string): ExampleSource | undefined {
    return this.collection.shards.find((s) => s.report.name === name)?.rows;
  }

  summary(tokenizer?: Tokenizer): DataSummary {
    const shards = this.collection.shards.length;
    if (this.stats?.collection !== this.collection || this.stats.shards !== shards || this.stats.tokenizer !== tokenizer) {
      const bos = tokenizer?.vocab.bosId ?? null;
      const eos = tokenizer?.vocab.eosId ?? null;
      const tokens = tokenizer && bos !== null && eos !== null ? { tokenizer, special: { bos, eos } } : undefined;
      const stats = datasetStats(this.collection.examples(), tokens);
      this.stats = { collection: this.collection, shards, tokenizer, stats };
    }
    return {
      shards: this.collection.shards.map((s) => s.report),
      evalSets: this.evalSetSummaries(),
      ngramWords: this.ngramWords,
      stats: this.stats.stats,
    };
  }

  private evalSetSummaries(): EvalSetSummary[] {
    return this.evalSets.map((e) => {
      const probe = new ContaminationIndex(this.ngramWords);
      probe.add(evalItems(e.examples, e.name, e.unit));
      return { name: e.name, problems: e.examples.length, verbatimOnly: probe.verbatimOnlyItems };
    });
  }

  /** Re-cleans every shard against the current evaluation sets; the old collection stays until this succeeds. */
  private async rebuild(): Promise<void> {
    const index = new ContaminationIndex(this.ngramWords);
    for (const e of this.evalSets) index.add(evalItems(e.examples, e.name, e.unit));
    const [collection, dir] = this.newCollection(index);
    try {
      for (const f of this.files) await collection.add(f.blob, f.name, { fields: f.fields });
    } catch (error) {
      await this.discard(collection, dir);
      throw error;
    }
    const [old, oldDir] = [this.collection, this.collectionDir];
    [this.collection, this.collectionDir] = [collection, dir];
    await this.discard(old, oldDir);
  }

  private async discard(collection: ShardCollection, dir: string): Promise<void> {
    collection.close();
    await this.storage.remove(dir);
  }
}

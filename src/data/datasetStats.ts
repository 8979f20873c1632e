/**
 * What the lab shows about a dataset before training: rows per shard and per source/type, how long the
 * examples are in the model's tokens (as training will see them: template, BOS/EOS included), how many state
 * a final answer, and the difficulty levels where the dataset gives them.
 */
import type { ExampleSource } from './example';
import { tokenizeExample, type SpecialTokens, type Tokenizer } from './tokenize';

export interface LengthHistogram {
  /** Bin i counts lengths in [edges[i], edges[i+1]); the last bin is [edges[last], ∞). */
  edges: number[];
  counts: number[];
  mean: number;
  median: number;
  p95: number;
  max: number;
  /** Present when the lengths are of an evenly spaced sample: the rows it was drawn from. */
  sampledFrom?: number;
}

export interface DatasetStats {
  rows: number;
  perShard: Record<string, number>;
  perSource: Record<string, number>;
  withAnswer: number;
  /** Level ("1".."5") or "unknown" → rows. */
  levels: Record<string, number>;
  perStage: Record<string, number>;
  tokenLengths?: LengthHistogram;
}

export const DEFAULT_LENGTH_EDGES = [0, 128, 256, 512, 1024, 2048, 4096];
/** Examples tokenized for the length histogram at most: beyond it an evenly spaced sample (tokenizing millions takes minutes). */
export const LENGTH_SAMPLE = 20_000;

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

export function lengthHistogram(lengths: readonly number[], edges: readonly number[] = DEFAULT_LENGTH_EDGES): LengthHistogram {
  const counts = new Array<number>(edges.length).fill(0);
  for (const n of lengths) {
    let bin = edges.length - 1;
    while (bin > 0 && n < edges[bin]) bin--;
    counts[bin]++;
  }
  const sorted = lengths.slice().sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  return {
    edges: edges.slice(),
    counts,
    mean: sorted.length === 0 ? 0 : sorted.reduce((s, n) => s + n, 0) / sorted.length,
    median: at(0.5),
    p95: at(0.95),
    max: sorted.length === 0 ? 0 : sorted[sorted.length - 1],
  };
}

/**
 * Counts over every example; with a tokenizer also the token-length histogram, of every example up to `sample` of
 * them and of an evenly spaced sample of that many beyond.
 */
export function datasetStats(
  examples: ExampleSource,
  tokens?: { tokenizer: Tokenizer; special: SpecialTokens; edges?: number[]; sample?: number },
): DatasetStats {
  const stats: DatasetStats = { rows: 0, perShard: {}, perSource: {}, withAnswer: 0, levels: {}, perStage: {} };
  for (let i = 0; i < examples.length; i++) {
    const e = examples.at(i)!;
    stats.rows++;
    bump(stats.perShard, e.shard);
    bump(stats.perSource, e.source ?? 'unknown');
    bump(stats.levels, e.level === undefined ? 'unknown' : String(e.level));
    bump(stats.perStage, e.stage ?? 'untagged');
    if (e.answer !== undefined) stats.withAnswer++;
  }
  if (tokens) {
    const count = Math.min(examples.length, tokens.sample ?? LENGTH_SAMPLE);
    const lengths = Array.from(
      { length: count },
      (_, k) => tokenizeExample(examples.at(Math.floor((k * examples.length) / count))!, tokens.tokenizer, tokens.special).tokens.length,
    );
    stats.tokenLengths = lengthHistogram(lengths, tokens.edges);
    if (count < examples.length) stats.tokenLengths.sampledFrom = examples.length;
  }
  return stats;
}

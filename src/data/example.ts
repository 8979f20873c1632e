/**
 * The one shape every dataset row becomes, whatever file format and schema it came from.
 * `kind: 'sft'` rows train on the response only (the prompt is masked from the loss);
 * `kind: 'text'` rows (continued pretraining, style tuning) train on every token and have an empty prompt.
 */
export interface Example {
  kind: 'sft' | 'text';
  prompt: string;
  response: string;
  /** The final answer, where the source format states one (GSM8K `####`, MATH `\boxed{}`, "The answer is: X"). */
  answer?: string;
  /** Where the row came from inside its dataset: MetaMathQA `type`, MATH `type`/`subject`, NuminaMath `source`. */
  source?: string;
  /** Difficulty 1..5 where the dataset states it (MATH "Level 3", MATH-500 `level: 3`). */
  level?: number;
  /** Curriculum stage ("normal", "hard", or a value taken from a mapped field). */
  stage?: string;
  /** The dataset's own id for the row, where it has one (MATH-500 `unique_id`). */
  id?: string;
  /** Shard file name and the row's position in it: 1-based line for JSON Lines, 0-based row index otherwise. */
  shard: string;
  row: number;
}

/** A row that did not load, and why; `row` follows the same convention as `Example.row`. */
export interface BadRow {
  row: number;
  reason: string;
}

/** How a shard's rows are positioned, so a report can say "line 12" or "row 12" correctly. */
export type RowUnit = 'line' | 'row';

/** A short human label for a row position, e.g. "train.jsonl line 12". */
export function rowLabel(shard: string, unit: RowUnit, row: number): string {
  return `${shard} ${unit} ${row}`;
}

/** Examples by position, without holding them all: an array, or rows kept in a scratch file (keptRows.ts). */
export interface ExampleSource {
  readonly length: number;
  at(index: number): Example | undefined;
}

/** Every example of a source, in order. */
export function* examplesIn(source: ExampleSource): Generator<Example> {
  for (let i = 0; i < source.length; i++) yield source.at(i)!;
}

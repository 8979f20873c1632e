/**
 * From cleaned examples to what the trainer consumes, in the order that keeps experiments comparable:
 * 1. hold out a validation set with the seed (fixed, whatever subset size is trained on);
 * 2. shuffle the rest with the seed and take the first `subsetSize` (nested subsets for data scaling);
 * 3. group by curriculum stage (each stage keeps the shuffled order), e.g. "normal" then "hard";
 * 4. tokenize with the SFT template (prompt masked), truncating or dropping beyond `maxTokens`;
 * 5. pack each stage into rows of `seqLen` tokens.
 * Orders are shuffles of row positions, and examples are read one at a time as they are tokenized and packed, so
 * the examples may be millions of rows on disk (keptRows.ts) and the rows go out as they are made.
 */
import { groupByStage, NORMAL, stageOf, type StageRule } from './curriculum';
import type { ExampleSource } from './example';
import { RowPacker, type PackedRow } from './packing';
import { nestedSubsets, trainValidationSplit } from './sampling';
import { tokenizeToFit, type SpecialTokens, type TokenizeOptions, type Tokenizer } from './tokenize';

export interface TrainingSetOptions {
  tokenizer: Tokenizer;
  special: SpecialTokens;
  /** Token id that fills the end of packed rows (it carries no loss). */
  padId: number;
  seed: number;
  /** Packed row length; also the longest example kept unless `maxTokens` is smaller. */
  seqLen?: number;
  maxTokens?: number;
  overflow?: TokenizeOptions['overflow'];
  validationFraction?: number;
  /** Train on the first N of the seeded shuffle (all when absent). */
  subsetSize?: number;
  /** Without a rule every example is in one "normal" stage (untouched stage tags from the loader are kept). */
  stages?: { rule: StageRule; order: string[] };
}

/** Packed examples of one stage, or of the held-out split. */
export interface PackedPart {
  examples: number;
  rows: number;
  /** Tokens that are not padding, as a fraction of all row tokens. */
  utilisation: number;
  /** Positions (in the examples given) of the examples packed, in packing order. */
  kept: number[];
}

export interface TrainingStage extends PackedPart {
  name: string;
}

export interface TrainingSet {
  stages: TrainingStage[];
  validation: PackedPart;
  truncated: number;
  dropped: number;
}

/** Where packed rows go as they are made: the stages' rows one stage after the other, then the held-out rows. */
export type PackedRowSink = (row: PackedRow, split: 'train' | 'validation') => void;

export function buildTrainingSet(examples: ExampleSource, options: TrainingSetOptions, sink: PackedRowSink): TrainingSet {
  const seqLen = options.seqLen ?? 2048;
  const fit = { maxTokens: Math.min(options.maxTokens ?? seqLen, seqLen), overflow: options.overflow ?? 'truncate' };
  const positions = Array.from({ length: examples.length }, (_, i) => i);
  const { train, validation } = trainValidationSplit(positions, options.validationFraction ?? 0.02, options.seed);
  // A different seed for the training order, so it is not the split's own permutation again.
  const [chosen] = nestedSubsets(train, [options.subsetSize ?? train.length], options.seed + 1);
  const groups = stageGroups(examples, chosen, options.stages);

  let truncated = 0;
  let dropped = 0;
  const pack = (order: readonly number[], split: 'train' | 'validation'): PackedPart => {
    const packer = new RowPacker(seqLen, options.padId, (row) => sink(row, split));
    const kept: number[] = [];
    for (const i of order) {
      const t = tokenizeToFit(examples.at(i)!, options.tokenizer, options.special, fit);
      if (!t) {
        dropped++;
        continue;
      }
      if (t.truncated) truncated++;
      packer.add(t.tokenized);
      kept.push(i);
    }
    packer.finish();
    return { examples: kept.length, rows: packer.rows, utilisation: packer.utilisation, kept };
  };
  const stages: TrainingStage[] = [];
  for (const [name, group] of groups) {
    if (group.length > 0) stages.push({ name, ...pack(group, 'train') });
  }
  return { stages, validation: pack(validation, 'validation'), truncated, dropped };
}

/** The chosen positions grouped by stage, each in the shuffled order; without a rule, by the loader's tag ("normal" for none). */
function stageGroups(examples: ExampleSource, chosen: readonly number[], stages?: TrainingSetOptions['stages']): Map<string, number[]> {
  return groupByStage(
    chosen,
    (i) => {
      const e = examples.at(i)!;
      return stages ? stageOf(e, stages.rule) : (e.stage ?? NORMAL);
    },
    stages?.order,
  );
}

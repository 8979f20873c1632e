/**
 * From cleaned examples to what the trainer consumes, in the order that keeps experiments comparable:
 * 1. hold out a validation set with the seed (fixed, whatever subset size is trained on);
 * 2. shuffle the rest with the seed and take the first `subsetSize` (nested subsets for data scaling);
 * 3. group by curriculum stage (each stage keeps the shuffled order), e.g. "normal" then "hard";
 * 4. tokenize with the SFT template (prompt masked), truncating or dropping beyond `maxTokens`;
 * 5. pack each stage into rows of `seqLen` tokens.
 */
import { stageOrder, tagStages, type StageRule } from './curriculum';
import type { Example } from './example';
import { packExamples, type PackedSet } from './packing';
import { nestedSubsets, trainValidationSplit } from './sampling';
import { tokenizeExamples, type SpecialTokens, type TokenizeOptions, type Tokenizer } from './tokenize';

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

export interface TrainingStage {
  name: string;
  examples: number;
  packed: PackedSet;
  /** The examples packed, in packing order. */
  kept: Example[];
}

export interface TrainingSet {
  stages: TrainingStage[];
  validation: PackedSet;
  validationExamples: number;
  /** The held-out examples packed, in packing order. */
  validationKept: Example[];
  truncated: number;
  dropped: number;
}

export function buildTrainingSet(examples: readonly Example[], options: TrainingSetOptions): TrainingSet {
  const seqLen = options.seqLen ?? 2048;
  const tokenize = { maxTokens: Math.min(options.maxTokens ?? seqLen, seqLen), overflow: options.overflow ?? 'truncate' };
  const { train, validation } = trainValidationSplit(examples, options.validationFraction ?? 0.02, options.seed);
  // A different seed for the training order, so it is not the split's own permutation again.
  const [chosen] = nestedSubsets(train, [options.subsetSize ?? train.length], options.seed + 1);
  const tagged = options.stages ? tagStages(chosen, options.stages.rule) : chosen;
  const groups = stageOrder(tagged, options.stages?.order);

  let truncated = 0;
  let dropped = 0;
  const stages: TrainingStage[] = [];
  for (const [name, group] of groups) {
    if (group.length === 0) continue;
    const tokenized = tokenizeExamples(group, options.tokenizer, options.special, tokenize);
    truncated += tokenized.truncated;
    dropped += tokenized.dropped;
    stages.push({
      name,
      examples: tokenized.examples.length,
      packed: packExamples(tokenized.examples, seqLen, options.padId),
      kept: tokenized.kept,
    });
  }
  const heldOut = tokenizeExamples(validation, options.tokenizer, options.special, tokenize);
  return {
    stages,
    validation: packExamples(heldOut.examples, seqLen, options.padId),
    validationExamples: heldOut.examples.length,
    validationKept: heldOut.kept,
    truncated: truncated + heldOut.truncated,
    dropped: dropped + heldOut.dropped,
  };
}

import { LabError } from '../errors';
import type { Example } from '../data/example';
import { buildTrainingSet } from '../data/trainingSet';
import type { Tokenizer } from '../tokenizer';
import type { TrainerData } from './trainer';
import type { CurriculumConfig } from './config';

export interface PreparedData extends TrainerData {
  /** With a curriculum: each stage's examples and packed rows, in training order (the rows are back to back). */
  stages?: { name: string; examples: number; rows: number }[];
  trainExamples: number;
  validationExamples: number;
  truncated: number;
  dropped: number;
  /** Fraction of packed row tokens that are not padding. */
  utilisation: number;
  /** The examples behind the packed rows, in packing order: the text an export to other trainers writes out. */
  texts: { train: Example[]; validation: Example[] };
}

/**
 * Examples to packed rows for the trainer (the same path for the UI and `lora-lab train`): a seeded held-out split,
 * SFT tokenization with the prompt masked (text rows train on every token), packing into rows of seqLen.
 * The rows are stage by stage (each stage packed on its own). Without a curriculum the trainer visits all rows in
 * a seeded order per epoch; with one (pass the run's `config.curriculum`) `stages` says where each stage's rows
 * are, and the trainer trains them one stage after the other.
 */
export function prepareTrainingData(
  examples: readonly Example[],
  tokenizer: Tokenizer,
  options: { seqLen: number; seed: number; validationFraction: number; curriculum?: CurriculumConfig },
): PreparedData {
  const bos = tokenizer.bosId;
  const eos = tokenizer.eosId;
  if (bos === null || eos === null)
    throw new LabError("the model's tokenizer has no BOS or EOS token", 'tokenizer', 'Training examples are framed by BOS and EOS.');
  const set = buildTrainingSet(examples, {
    tokenizer,
    special: { bos, eos },
    padId: eos,
    seed: options.seed,
    seqLen: options.seqLen,
    validationFraction: options.validationFraction,
    stages: options.curriculum && { rule: options.curriculum.rule, order: options.curriculum.stages },
  });
  const train = set.stages.flatMap((s) => s.packed.rows);
  if (train.length === 0) {
    throw new LabError(
      'no training rows are left after the held-out split and tokenization',
      'training data',
      'Add examples or raise --seq-len.',
    );
  }
  const realTokens = train.reduce((sum, r) => sum + r.segmentIds.reduce((n, id) => n + (id > 0 ? 1 : 0), 0), 0);
  return {
    train,
    // A stage whose every example was dropped by tokenization has no rows and nothing to train.
    ...(options.curriculum
      ? {
          stages: set.stages
            .filter((s) => s.packed.rows.length > 0)
            .map((s) => ({ name: s.name, examples: s.examples, rows: s.packed.rows.length })),
        }
      : {}),
    validation: set.validation.rows,
    trainExamples: set.stages.reduce((sum, s) => sum + s.examples, 0),
    validationExamples: set.validationExamples,
    truncated: set.truncated,
    dropped: set.dropped,
    utilisation: realTokens / (train.length * options.seqLen),
    texts: { train: set.stages.flatMap((s) => s.kept), validation: set.validationKept },
  };
}

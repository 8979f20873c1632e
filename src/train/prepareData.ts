import { LabError } from '../errors';
import type { ExampleSource } from '../data/example';
import type { PackedRow } from '../data/packing';
import { buildTrainingSet } from '../data/trainingSet';
import type { Tokenizer } from '../data/tokenize';
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
  /** Positions (in the examples given) of the examples behind the packed rows, in packing order: what an export to other trainers writes out. */
  kept: { train: number[]; validation: number[] };
}

/** Where prepared rows go as they are packed: a run's data file (PackedRowsWriter), or memory. */
export interface PackedRowsTarget {
  add(row: PackedRow, split: 'train' | 'validation'): void;
  /** The rows written, for the trainer, with the curriculum stages they form. */
  finish(stages?: readonly { name: string; rows: number }[]): TrainerData;
}

export function rowsInMemory(): PackedRowsTarget {
  const rows = { train: [] as PackedRow[], validation: [] as PackedRow[] };
  return {
    add: (row, split) => void rows[split].push(row),
    finish: (stages) => ({ ...rows, ...(stages && { stages }) }),
  };
}

/**
 * Examples to packed rows for the trainer (the same path for the UI and `lora-lab train`): a seeded held-out split,
 * SFT tokenization with the prompt masked (text rows train on every token), packing into rows of seqLen, each row
 * handed to `target` as it is made. The rows are stage by stage (each stage packed on its own). Without a curriculum
 * the trainer visits all rows in a seeded order per epoch; with one (pass the run's `config.curriculum`) `stages`
 * says where each stage's rows are, and the trainer trains them one stage after the other.
 */
/** What preparing needs of a tokenizer (the GGUF tokenizers have it): encoding, and BOS and EOS to frame examples. */
export type TrainingTokenizer = Tokenizer & { bosId: number | null; eosId: number | null };

export function prepareTrainingData(
  examples: ExampleSource,
  tokenizer: TrainingTokenizer,
  options: { seqLen: number; seed: number; validationFraction: number; curriculum?: CurriculumConfig },
  target: PackedRowsTarget = rowsInMemory(),
): PreparedData {
  const bos = tokenizer.bosId;
  const eos = tokenizer.eosId;
  if (bos === null || eos === null)
    throw new LabError("the model's tokenizer has no BOS or EOS token", 'tokenizer', 'Training examples are framed by BOS and EOS.');
  const set = buildTrainingSet(
    examples,
    {
      tokenizer,
      special: { bos, eos },
      padId: eos,
      seed: options.seed,
      seqLen: options.seqLen,
      validationFraction: options.validationFraction,
      stages: options.curriculum && { rule: options.curriculum.rule, order: options.curriculum.stages },
    },
    (row, split) => target.add(row, split),
  );
  const trainRows = set.stages.reduce((sum, s) => sum + s.rows, 0);
  if (trainRows === 0) {
    throw new LabError(
      'no training rows are left after the held-out split and tokenization',
      'training data',
      'Add examples or raise --seq-len.',
    );
  }
  // A stage whose every example was dropped by tokenization has no rows and nothing to train.
  const stages = options.curriculum
    ? set.stages.filter((s) => s.rows > 0).map((s) => ({ name: s.name, examples: s.examples, rows: s.rows }))
    : undefined;
  const { train, validation } = target.finish(stages);
  return {
    train,
    validation,
    ...(stages && { stages }),
    trainExamples: set.stages.reduce((sum, s) => sum + s.examples, 0),
    validationExamples: set.validation.examples,
    truncated: set.truncated,
    dropped: set.dropped,
    utilisation: set.stages.reduce((sum, s) => sum + s.utilisation * s.rows, 0) / trainRows,
    kept: { train: set.stages.flatMap((s) => s.kept), validation: set.validation.kept },
  };
}

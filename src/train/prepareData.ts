import { LabError } from '../errors';
import type { Example } from '../data/example';
import { buildTrainingSet } from '../data/trainingSet';
import type { Tokenizer } from '../tokenizer';
import type { TrainerData } from './trainer';

export interface PreparedData extends TrainerData {
  trainExamples: number;
  validationExamples: number;
  truncated: number;
  dropped: number;
  /** Fraction of packed row tokens that are not padding. */
  utilisation: number;
}

/**
 * Examples to packed rows for the trainer (the same path for the UI and `lora-lab train`): a seeded held-out split,
 * SFT tokenization with the prompt masked (text rows train on every token), packing into rows of seqLen.
 * Curriculum stages are concatenated in their order; the trainer then visits all rows in a seeded order per epoch.
 */
export function prepareTrainingData(
  examples: readonly Example[],
  tokenizer: Tokenizer,
  options: { seqLen: number; seed: number; validationFraction: number },
): PreparedData {
  const bos = tokenizer.bosId;
  const eos = tokenizer.eosId;
  if (bos === null || eos === null) throw new LabError('the model\'s tokenizer has no BOS or EOS token', 'tokenizer', 'Training examples are framed by BOS and EOS.');
  const set = buildTrainingSet(examples, {
    tokenizer,
    special: { bos, eos },
    padId: eos,
    seed: options.seed,
    seqLen: options.seqLen,
    validationFraction: options.validationFraction,
  });
  const train = set.stages.flatMap((s) => s.packed.rows);
  if (train.length === 0) {
    throw new LabError('no training rows are left after the held-out split and tokenization', 'training data', 'Add examples or raise --seq-len.');
  }
  const realTokens = train.reduce((sum, r) => sum + r.segmentIds.reduce((n, id) => n + (id > 0 ? 1 : 0), 0), 0);
  return {
    train,
    validation: set.validation.rows,
    trainExamples: set.stages.reduce((sum, s) => sum + s.examples, 0),
    validationExamples: set.validationExamples,
    truncated: set.truncated,
    dropped: set.dropped,
    utilisation: realTokens / (train.length * options.seqLen),
  };
}

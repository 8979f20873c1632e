import type { TrainRequest } from '../../worker/api';

/** The seven projections a LoRA adapter can target, in the order the form lists them. */
export const TARGETS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const satisfies NonNullable<TrainRequest['targets']>;

/** The two-stage curriculum's order (Skywork-Math: normal, then hard), or all examples shuffled together. */
export type StageOrder = 'none' | 'normal-hard' | 'hard-normal';

/** The learning-rate decays the engine offers after warmup, in the order the form lists them. */
export const DECAYS = ['cosine', 'linear', 'constant'] as const satisfies readonly NonNullable<TrainRequest['decay']>[];

/**
 * The Train form's fields: what `TrainRequest` takes, with every projection chosen, the run's length as steps or
 * epochs (both fields kept, so switching back and forth loses nothing), and the curriculum as the form asks it.
 */
export type TrainForm = Required<
  Pick<
    TrainRequest,
    | 'name'
    | 'rank'
    | 'alpha'
    | 'dropout'
    | 'lr'
    | 'decay'
    | 'steps'
    | 'epochs'
    | 'seqLen'
    | 'batch'
    | 'accumulation'
    | 'warmupSteps'
    | 'seed'
    | 'targets'
  >
> & {
  /** Which of `steps` and `epochs` says how long the run is. */
  length: 'steps' | 'epochs';
  stageOrder: StageOrder;
  /** Examples with a MATH level at or above this are the hard stage. */
  hardFromLevel: number;
};

/** Defaults that train something visible in a few steps on a small model; a 7B run wants more steps. */
export function defaultTrainForm(): TrainForm {
  return {
    name: 'adapter',
    rank: 8,
    alpha: 16,
    dropout: 0,
    lr: 2e-4,
    decay: 'cosine',
    length: 'steps',
    steps: 20,
    epochs: 1,
    seqLen: 256,
    batch: 1,
    accumulation: 1,
    warmupSteps: 2,
    seed: 1,
    targets: [...TARGETS],
    stageOrder: 'none',
    hardFromLevel: 4,
  };
}

/** What the engine gets from a valid form: steps or epochs, whichever the form's length is in. */
export function toTrainRequest(f: TrainForm): TrainRequest {
  const { stageOrder, hardFromLevel, length, steps, epochs, ...rest } = f;
  const request: TrainRequest = { ...rest, ...(length === 'steps' ? { steps } : { epochs }), targets: [...f.targets] };
  if (stageOrder === 'none') return request;
  return {
    ...request,
    curriculum: { stages: stageOrder === 'normal-hard' ? ['normal', 'hard'] : ['hard', 'normal'], rule: { by: 'level', hardFromLevel } },
  };
}

export type TrainFormErrors = Partial<Record<keyof TrainForm, string>>;

/** A number input holds null when it is empty or not a number. */
function integerIn(value: unknown, low: number, high: number, what: string): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return `${what} must be a whole number.`;
  if (value < low || value > high)
    return high === Infinity ? `${what} must be at least ${low}.` : `${what} must be between ${low} and ${high}.`;
  return undefined;
}

/** Why each field cannot be used as it is, in words for the form; empty when the run can start. */
export function validateTrainForm(f: TrainForm): TrainFormErrors {
  const errors: TrainFormErrors = {};
  const put = (field: keyof TrainForm, message: string | undefined) => {
    if (message) errors[field] = message;
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(f.name ?? '')) {
    put('name', 'Name: 1 to 64 letters, digits, dots, dashes or underscores (it names the exported files).');
  }
  put('rank', integerIn(f.rank, 1, 256, 'Rank'));
  if (typeof f.alpha !== 'number' || !(f.alpha > 0))
    put('alpha', 'Alpha must be a positive number (the update is scaled by alpha / rank).');
  if (typeof f.lr !== 'number' || !(f.lr > 0 && f.lr <= 1))
    put('lr', 'Learning rate must be above 0 and at most 1 (2e-4 is typical for LoRA).');
  if (typeof f.dropout !== 'number' || !(f.dropout >= 0 && f.dropout < 1))
    put('dropout', 'Dropout must be at least 0 and below 1 (0.05 to 0.1 is usual; 0 turns it off).');
  if (f.length === 'steps') put('steps', integerIn(f.steps, 1, 1_000_000, 'Steps'));
  else if (typeof f.epochs !== 'number' || !(f.epochs > 0 && f.epochs <= 10_000)) {
    put('epochs', 'Epochs must be above 0 and at most 10000 (1 visits every training row once; 0.5 half of them).');
  }
  put('seqLen', integerIn(f.seqLen, 16, 32_768, 'Sequence length'));
  put('batch', integerIn(f.batch, 1, 1024, 'Batch'));
  put('accumulation', integerIn(f.accumulation, 1, 1024, 'Accumulation'));
  put('warmupSteps', integerIn(f.warmupSteps, 0, Infinity, 'Warmup steps'));
  // In epochs the steps are known only once the engine has packed the data; it refuses a longer warmup then.
  if (f.length === 'steps' && !errors.warmupSteps && !errors.steps && f.warmupSteps > f.steps)
    put('warmupSteps', `Warmup steps must be at most the ${f.steps} steps.`);
  put('seed', integerIn(f.seed, 0, 2 ** 32 - 1, 'Seed'));
  if (f.targets.length === 0) put('targets', 'Choose at least one projection to adapt.');
  if (f.stageOrder !== 'none') put('hardFromLevel', integerIn(f.hardFromLevel, 1, 5, "The hard stage's first MATH level"));
  return errors;
}

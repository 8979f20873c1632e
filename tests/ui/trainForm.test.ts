import { describe, expect, it } from 'vitest';
import { defaultTrainForm, toTrainRequest, validateTrainForm, type TrainForm } from '../../src/ui/train/trainForm';

const form = (changes: Partial<Record<keyof TrainForm, unknown>>) => ({ ...defaultTrainForm(), ...changes }) as TrainForm;

describe('validateTrainForm: what the Train form says next to a field', () => {
  it('accepts the defaults', () => {
    expect(validateTrainForm(defaultTrainForm())).toEqual({});
  });

  it('names each field the engine would refuse', () => {
    expect(validateTrainForm(form({ rank: 0 }))).toEqual({ rank: 'Rank must be between 1 and 256.' });
    expect(validateTrainForm(form({ steps: 2.5 }))).toEqual({ steps: 'Steps must be a whole number.' });
    expect(validateTrainForm(form({ lr: 0 })).lr).toMatch(/^Learning rate must be above 0/);
    expect(validateTrainForm(form({ dropout: 1 })).dropout).toMatch(/^Dropout must be at least 0 and below 1/);
    expect(validateTrainForm(form({ name: 'my adapter!' })).name).toMatch(/^Name: 1 to 64 letters/);
    expect(validateTrainForm(form({ targets: [] }))).toEqual({ targets: 'Choose at least one projection to adapt.' });
  });

  it('treats an emptied number field (null) as missing, not as zero', () => {
    expect(validateTrainForm(form({ seqLen: null, alpha: null }))).toEqual({
      seqLen: 'Sequence length must be a whole number.',
      alpha: 'Alpha must be a positive number (the update is scaled by alpha / rank).',
    });
  });

  it('refuses more warmup steps than steps', () => {
    expect(validateTrainForm(form({ steps: 3, warmupSteps: 4 }))).toEqual({ warmupSteps: 'Warmup steps must be at most the 3 steps.' });
    expect(validateTrainForm(form({ steps: 3, warmupSteps: 3 }))).toEqual({});
  });

  it('checks steps or epochs, whichever the run is measured in', () => {
    expect(validateTrainForm(form({ length: 'epochs', steps: null }))).toEqual({});
    expect(validateTrainForm(form({ length: 'epochs', epochs: 0 }))).toEqual({
      epochs: 'Epochs must be above 0 and at most 10000 (1 visits every training row once; 0.5 half of them).',
    });
    expect(validateTrainForm(form({ length: 'epochs', epochs: null })).epochs).toMatch(/^Epochs must be above 0/);
    expect(validateTrainForm(form({ length: 'epochs', epochs: 0.25 }))).toEqual({});
    expect(validateTrainForm(form({ length: 'steps', epochs: -1 }))).toEqual({});
  });

  it('leaves the warmup against the steps to the engine when the run is in epochs (the steps are not known yet)', () => {
    expect(validateTrainForm(form({ length: 'epochs', steps: 3, warmupSteps: 4 }))).toEqual({});
  });

  it('checks the hard level only when a curriculum is chosen', () => {
    expect(validateTrainForm(form({ hardFromLevel: 9 }))).toEqual({});
    expect(validateTrainForm(form({ stageOrder: 'normal-hard', hardFromLevel: 9 }))).toEqual({
      hardFromLevel: "The hard stage's first MATH level must be between 1 and 5.",
    });
  });
});

describe('toTrainRequest: the form as the engine takes it', () => {
  it('sends no curriculum when none is chosen, and every other field as it is', () => {
    const request = toTrainRequest(defaultTrainForm());
    expect(request.curriculum).toBeUndefined();
    expect(request).toMatchObject({
      name: 'adapter',
      rank: 8,
      alpha: 16,
      dropout: 0,
      steps: 20,
      targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'],
    });
    expect(request).not.toHaveProperty('stageOrder');
    expect(request).not.toHaveProperty('length');
  });

  it("sends the run's length as steps or as epochs, never both", () => {
    const inSteps = toTrainRequest(form({ steps: 30, epochs: 2 }));
    expect(inSteps.steps).toBe(30);
    expect(inSteps).not.toHaveProperty('epochs');
    const inEpochs = toTrainRequest(form({ length: 'epochs', steps: 30, epochs: 2 }));
    expect(inEpochs.epochs).toBe(2);
    expect(inEpochs).not.toHaveProperty('steps');
  });

  it('sends the schedule chosen (cosine by default)', () => {
    expect(toTrainRequest(defaultTrainForm()).decay).toBe('cosine');
    expect(toTrainRequest(form({ decay: 'linear' })).decay).toBe('linear');
    expect(toTrainRequest(form({ decay: 'constant', stageOrder: 'normal-hard' })).decay).toBe('constant');
  });

  it('turns the stage order into curriculum stages with the level rule', () => {
    expect(toTrainRequest(form({ stageOrder: 'normal-hard', hardFromLevel: 4 })).curriculum).toEqual({
      stages: ['normal', 'hard'],
      rule: { by: 'level', hardFromLevel: 4 },
    });
    expect(toTrainRequest(form({ stageOrder: 'hard-normal', hardFromLevel: 5 })).curriculum).toEqual({
      stages: ['hard', 'normal'],
      rule: { by: 'level', hardFromLevel: 5 },
    });
  });
});

import { describe, expect, it } from 'vitest';
import { planStages } from '../../src/train/dataOrder';
import { checkRunLength, planRun, trainConfigFromRequest, type TrainRequest } from '../../src/worker/trainRequest';

const request: TrainRequest = { name: 'r', rank: 4, alpha: 8, lr: 1e-3, seqLen: 64, batch: 2, accumulation: 1, warmupSteps: 0, seed: 1 };

describe('planRun: a run in epochs becomes optimizer steps once the data is packed', () => {
  it('takes steps as they are and says how many epochs they train', () => {
    expect(planRun('r-1', { ...request, steps: 15 }, { trainRows: 10 })).toEqual({
      runId: 'r-1',
      steps: 15,
      epochs: 3,
      trainRows: 10,
      microBatchesPerEpoch: 5,
    });
  });

  it('turns epochs into the micro-batches that visit every row that often, a last smaller batch included', () => {
    // 11 rows in batches of 2: 6 micro-batches per epoch.
    expect(planRun('r-1', { ...request, epochs: 2 }, { trainRows: 11 })).toMatchObject({ steps: 12, epochs: 2, microBatchesPerEpoch: 6 });
    expect(planRun('r-1', { ...request, epochs: 0.5 }, { trainRows: 11 })).toMatchObject({ steps: 3, epochs: 0.5 });
  });

  it('rounds up to whole optimizer steps of `accumulation` micro-batches', () => {
    const plan = planRun('r-1', { ...request, epochs: 1, accumulation: 4 }, { trainRows: 11 });
    expect(plan.steps).toBe(2);
    expect(plan.epochs).toBeCloseTo(8 / 6, 12);
  });

  it('is not thrown a step too far by floating point (0.1 × 30 micro-batches is 3)', () => {
    expect(planRun('r-1', { ...request, epochs: 0.1, batch: 1 }, { trainRows: 30 }).steps).toBe(3);
  });

  it('with a curriculum, trains the epochs of every stage once planStages shares the steps', () => {
    const data = {
      trainRows: 14,
      stages: [
        { name: 'normal', rows: 10 },
        { name: 'hard', rows: 4 },
      ],
    };
    const plan = planRun('r-1', { ...request, epochs: 2 }, data);
    expect(plan).toMatchObject({ steps: 14, epochs: 2, microBatchesPerEpoch: 7 });
    expect(planStages(data.stages, plan.steps, request.batch).map((s) => s.steps)).toEqual([10, 4]);
  });
});

describe('checkRunLength and trainConfigFromRequest', () => {
  it('refuses a request with both or neither of steps and epochs, or epochs that are not above 0', () => {
    expect(() => checkRunLength(request)).toThrow(/as steps or as epochs, not both or neither/);
    expect(() => checkRunLength({ ...request, steps: 3, epochs: 1 })).toThrow(/not both or neither/);
    expect(() => checkRunLength({ ...request, epochs: 0 })).toThrow(/epochs 0 must be a number above 0/);
    expect(() => checkRunLength({ ...request, epochs: Number.NaN })).toThrow(/epochs NaN/);
    expect(() => checkRunLength({ ...request, epochs: 0.25 })).not.toThrow();
  });

  it('passes the schedule chosen, and keeps cosine when none is', () => {
    expect(trainConfigFromRequest({ ...request, decay: 'linear' }, 10).decay).toBe('linear');
    expect(trainConfigFromRequest({ ...request, decay: 'constant' }, 10).decay).toBe('constant');
    expect(trainConfigFromRequest(request, 10)).toMatchObject({ decay: 'cosine', steps: 10, evalEvery: 2, checkpointEvery: 1 });
  });
});

import { describe, expect, it } from 'vitest';
import { pickMicroBatch, planStages } from '../../src/train/dataOrder';

// Rows 0-9 are the normal stage, rows 10-15 the hard one (prepareTrainingData packs stage by stage).
const STAGES = [
  { name: 'normal', rows: 10 },
  { name: 'hard', rows: 6 },
];

/** Every micro-batch of a run, in order. */
function run(steps: number, batch: number, accumulation: number, seed: number) {
  const stages = planStages(STAGES, steps, batch);
  const order = { rows: 16, batch, accumulation, seed, stages };
  return Array.from({ length: steps }, (_, step) =>
    Array.from({ length: accumulation }, (_, k) => ({ step, ...pickMicroBatch(order, step, k) })),
  ).flat();
}

describe('the curriculum plan', () => {
  it('splits the steps between stages by their micro-batches per epoch, at least one step each', () => {
    // batch 2: normal has 5 micro-batches per epoch, hard 3; 8 steps is one epoch of each.
    expect(planStages(STAGES, 8, 2).map((s) => [s.name, s.firstRow, s.rows, s.firstStep, s.steps])).toEqual([
      ['normal', 0, 10, 0, 5],
      ['hard', 10, 6, 5, 3],
    ]);
    expect(planStages(STAGES, 24, 2).map((s) => s.steps)).toEqual([15, 9]);
    expect(planStages(STAGES, 2, 2).map((s) => s.steps)).toEqual([1, 1]);
    expect(
      planStages(
        [
          { name: 'a', rows: 100 },
          { name: 'b', rows: 1 },
        ],
        3,
        1,
      ).map((s) => s.steps),
    ).toEqual([2, 1]);
    for (const steps of [2, 3, 7, 11, 100])
      expect(
        planStages(STAGES, steps, 3).reduce((n, s) => n + s.steps, 0),
        `steps ${steps}`,
      ).toBe(steps);
  });

  it('refuses fewer steps than stages, no stages, and a stage without rows', () => {
    expect(() => planStages(STAGES, 1, 2)).toThrow(/curriculum: 1 steps cannot give each of 2 stages one/);
    expect(() => planStages([], 5, 2)).toThrow(/curriculum: has no stages/);
    expect(() =>
      planStages(
        [
          { name: 'normal', rows: 3 },
          { name: 'hard', rows: 0 },
        ],
        5,
        2,
      ),
    ).toThrow(/curriculum: stage "hard" has no training rows/);
  });
});

describe('the data order with a curriculum', () => {
  it('trains every normal row, shuffled, before any hard row (one epoch of each)', () => {
    const picks = run(8, 2, 1, 5);
    const rows = picks.flatMap((p) => p.rows);
    expect(rows.slice(0, 10).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rows.slice(10).sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(rows.slice(0, 10)).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(picks.map((p) => p.stage)).toEqual(['normal', 'normal', 'normal', 'normal', 'normal', 'hard', 'hard', 'hard']);
    expect(picks.map((p) => p.epoch)).toEqual([0.2, 0.4, 0.6, 0.8, 1, 1 / 3, 2 / 3, 1]);
  });

  it('repeats each stage for its epochs, each epoch in a new order, before the next stage (accumulated micro-batches)', () => {
    // 3 epochs' worth: 15 steps of normal then 9 of hard; 2 micro-batches of 1 row per step.
    const picks = run(24, 1, 2, 9);
    const normal = picks.filter((p) => p.stage === 'normal');
    const hard = picks.filter((p) => p.stage === 'hard');
    expect(normal).toHaveLength(30);
    expect(picks.slice(0, 30)).toEqual(normal);
    const epochs = [0, 1, 2].map((e) => normal.slice(10 * e, 10 * e + 10).flatMap((p) => p.rows));
    for (const epoch of epochs) expect(new Set(epoch)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(epochs[1]).not.toEqual(epochs[0]);
    for (let e = 0; e < 3; e++)
      expect(new Set(hard.slice(6 * e, 6 * e + 6).flatMap((p) => p.rows))).toEqual(new Set([10, 11, 12, 13, 14, 15]));
    // Both micro-batches of a step come from the same stage.
    for (let step = 0; step < 24; step++) expect(picks[2 * step].stage).toBe(picks[2 * step + 1].stage);
  });

  it('is a pure function of (seed, step, micro-batch): any step picked alone equals the same step of a whole run', () => {
    const whole = run(8, 2, 1, 5);
    const order = { rows: 16, batch: 2, accumulation: 1, seed: 5, stages: planStages(STAGES, 8, 2) };
    for (const step of [6, 0, 7, 5]) expect({ step, ...pickMicroBatch(order, step, 0) }).toEqual(whole[step]);
    expect(run(8, 2, 1, 6).map((p) => p.rows)).not.toEqual(whole.map((p) => p.rows));
  });

  it('without a curriculum, shuffles all rows together as before', () => {
    const order = { rows: 16, batch: 4, accumulation: 2, seed: 3 };
    const epoch = [0, 1].flatMap((step) => [0, 1].flatMap((k) => pickMicroBatch(order, step, k).rows));
    expect(new Set(epoch).size).toBe(16);
    expect(epoch.slice(0, 10).some((r) => r >= 10)).toBe(true);
    expect(pickMicroBatch(order, 1, 1)).toEqual({ rows: pickMicroBatch(order, 1, 1).rows, epoch: 1 });
  });
});

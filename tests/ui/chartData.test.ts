import { describe, expect, it } from 'vitest';
import { alignSeries, describeSeries, formatValue, type ChartSeries } from '../../src/ui/charts/chartData';

const loss: ChartSeries = {
  label: 'training loss',
  color: '#3556d8',
  points: [
    [1, 3.5],
    [2, 3.1],
    [3, 2.75],
  ],
};
const heldOut: ChartSeries = { label: 'validation loss', color: '#d8892f', points: [[2, 3.3]] };

describe('alignSeries: points on one x axis for uPlot', () => {
  it('merges the x values of every series, sorted, with null where a series has no point', () => {
    expect(alignSeries([loss, heldOut])).toEqual({
      x: [1, 2, 3],
      columns: [
        [3.5, 3.1, 2.75],
        [null, 3.3, null],
      ],
    });
  });

  it('adds a band as two columns (low, high) right after its series', () => {
    const accuracy: ChartSeries = {
      label: 'accuracy',
      color: '#000000',
      points: [
        [8, 0.5],
        [16, 0.6],
      ],
      band: {
        low: [
          [8, 0.3],
          [16, 0.4],
        ],
        high: [
          [8, 0.7],
          [16, 0.8],
        ],
      },
    };
    expect(alignSeries([accuracy]).columns).toEqual([
      [0.5, 0.6],
      [0.3, 0.4],
      [0.7, 0.8],
    ]);
  });

  it('leaves a non-finite value (a diverged loss) out instead of plotting it', () => {
    expect(
      alignSeries([
        {
          label: 'l',
          color: '#000000',
          points: [
            [1, NaN],
            [2, 1],
          ],
        },
      ]).columns,
    ).toEqual([[null, 1]]);
  });

  it('gives empty columns for series without points', () => {
    expect(alignSeries([{ ...loss, points: [] }])).toEqual({ x: [], columns: [[]] });
  });
});

describe('describeSeries: the text a reader gets instead of the canvas', () => {
  it('names each line with its first and latest value and where it is', () => {
    expect(describeSeries([loss, heldOut], 'step', 'no steps yet')).toBe(
      'training loss 3.5 → 2.75 at step 3 (3 points); validation loss 3.3 at step 2 (1 point)',
    );
  });

  it('says the empty state when nothing is plotted', () => {
    expect(describeSeries([{ ...loss, points: [] }], 'step', 'Start training to see the loss.')).toBe('Start training to see the loss.');
  });
});

describe('formatValue', () => {
  it('keeps 4 significant digits and switches to exponents for tiny and huge values', () => {
    expect([
      formatValue(2.345678),
      formatValue(0.0002),
      formatValue(1234.5678),
      formatValue(3e6),
      formatValue(0),
      formatValue(-0.5),
    ]).toEqual(['2.346', '2.00e-4', '1235', '3.00e+6', '0', '-0.5']);
  });
});

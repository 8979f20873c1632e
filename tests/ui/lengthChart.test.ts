import { describe, expect, it } from 'vitest';
import { lengthHistogram } from '../../src/data/datasetStats';
import { lengthChart } from '../../src/ui/data/lengthChart';

describe('the Data panel length chart', () => {
  const histogram = lengthHistogram([10, 20, 130, 300, 5000], [0, 128, 256, 4096]);
  const chart = lengthChart(histogram, '#2563eb');

  it('names each bin by its token range, the last one open-ended', () => {
    expect(chart.binNames).toEqual(['0–127', '128–255', '256–4095', '4096+']);
  });

  it('draws one bar per bin at x = bin index with that bin’s count', () => {
    expect(chart.series).toHaveLength(1);
    expect(chart.series[0].points).toEqual([
      [0, 2],
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
  });

  it('says every bin’s count and the summary figures in text', () => {
    expect(chart.description).toBe(
      '5 examples by length in tokens: 0–127: 2, 128–255: 1, 256–4095: 1, 4096+: 1. Mean 1092.0, median 130, 95th percentile 5000, longest 5000.',
    );
  });
});

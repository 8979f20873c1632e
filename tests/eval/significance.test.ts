import { describe, expect, it } from 'vitest';
import { bootstrapAccuracy, mcnemarExact, mcnemarFromVerdicts, pairedBootstrapDifference } from '../../src/eval/significance';

describe('exact McNemar test', () => {
  it('b=0, c=5: p = 2·(1/2)^5 = 0.0625', () => {
    expect(mcnemarExact(0, 5).pValue).toBeCloseTo(0.0625, 12);
  });

  it('b=1, c=9: p = 2·(1 + 10)/1024 = 22/1024', () => {
    expect(mcnemarExact(1, 9).pValue).toBeCloseTo(22 / 1024, 12);
    expect(mcnemarExact(9, 1).pValue).toBeCloseTo(22 / 1024, 12);
  });

  it('b=2, c=8: p = 2·(1 + 10 + 45)/1024 = 112/1024', () => {
    expect(mcnemarExact(2, 8).pValue).toBeCloseTo(112 / 1024, 12);
  });

  it('balanced discordance gives p = 1 (capped), and no discordance gives p = 1', () => {
    expect(mcnemarExact(3, 3).pValue).toBe(1);
    expect(mcnemarExact(0, 0).pValue).toBe(1);
  });

  it('stays finite for thousands of discordant pairs: b=1000, c=1000 gives ~1; b=900, c=1100 tiny', () => {
    expect(mcnemarExact(1000, 1000).pValue).toBeCloseTo(1, 6);
    const p = mcnemarExact(900, 1100).pValue;
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-5);
  });

  it('counts discordant pairs from per-problem verdicts', () => {
    const first = [true, true, false, false, true];
    const second = [true, false, true, true, true];
    expect(mcnemarFromVerdicts(first, second)).toMatchObject({ onlyFirst: 1, onlySecond: 2 });
  });

  it('rejects negative or fractional counts and unpaired runs', () => {
    expect(() => mcnemarExact(-1, 2)).toThrow(RangeError);
    expect(() => mcnemarExact(1.5, 2)).toThrow(RangeError);
    expect(() => mcnemarFromVerdicts([true], [true, false])).toThrow(/differ in length/);
  });
});

describe('bootstrap confidence intervals', () => {
  it('a difference every problem agrees on has a zero-width interval', () => {
    const ci = pairedBootstrapDifference([false, false, false, false], [true, true, true, true], { seed: 1 });
    expect(ci).toMatchObject({ estimate: 1, low: 1, high: 1 });
  });

  it('two problems with differences [1, 0]: resampled means 0, 1/2, 1 occur with probability 1/4, 1/2, 1/4', () => {
    const seed = 12345;
    const ci = pairedBootstrapDifference([false, false], [true, false], { seed, resamples: 20000, confidence: 0.95 });
    expect(ci.estimate).toBe(0.5);
    // 2.5% and 97.5% percentiles of that distribution are 0 and 1.
    expect(ci.low).toBe(0);
    expect(ci.high).toBe(1);
    const mid = pairedBootstrapDifference([false, false], [true, false], { seed, resamples: 20000, confidence: 0.4 });
    // 30% and 70% percentiles both fall in the middle mass (1/4 .. 3/4 of the sorted means).
    expect([mid.low, mid.high]).toEqual([0.5, 0.5]);
  });

  it('is deterministic for a seed, and the interval holds the estimate', () => {
    const correct = Array.from({ length: 200 }, (_, i) => i % 3 !== 0);
    const a = bootstrapAccuracy(correct, { seed: 99 });
    const b = bootstrapAccuracy(correct, { seed: 99 });
    expect(a).toEqual(b);
    expect(a.estimate).toBeCloseTo(133 / 200, 12);
    expect(a.low).toBeLessThan(a.estimate);
    expect(a.high).toBeGreaterThan(a.estimate);
    // Normal approximation: half-width ≈ 1.96·sqrt(p(1-p)/n) ≈ 0.065.
    expect(a.high - a.low).toBeGreaterThan(0.1);
    expect(a.high - a.low).toBeLessThan(0.16);
  });
});

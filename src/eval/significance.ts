import { seededRandom } from '../util/random';

/**
 * Paired statistics for comparing two evaluation runs on the same problems: the exact McNemar test (did one
 * run get more problems right than the other by more than chance?) and paired bootstrap confidence intervals.
 */

function logFactorials(n: number): Float64Array {
  const table = new Float64Array(n + 1);
  for (let k = 2; k <= n; k++) table[k] = table[k - 1] + Math.log(k);
  return table;
}

/** P(X <= k) for X ~ Binomial(n, 1/2), summed in log space so n in the thousands stays exact enough. */
function binomialHalfCdf(k: number, n: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  const lf = logFactorials(n);
  const logHalfPowN = -n * Math.LN2;
  let sum = 0;
  for (let i = 0; i <= k; i++) sum += Math.exp(lf[n] - lf[i] - lf[n - i] + logHalfPowN);
  return Math.min(1, sum);
}

export interface McNemarResult {
  /** Problems only the first run got right. */
  onlyFirst: number;
  /** Problems only the second run got right. */
  onlySecond: number;
  /** Two-sided exact p-value: 2·P(X <= min(b, c)), X ~ Bin(b + c, 1/2), capped at 1; 1 when no pair differs. */
  pValue: number;
}

/** Exact McNemar test from the discordant counts b (first right, second wrong) and c (the reverse). */
export function mcnemarExact(onlyFirst: number, onlySecond: number): McNemarResult {
  if (!Number.isInteger(onlyFirst) || !Number.isInteger(onlySecond) || onlyFirst < 0 || onlySecond < 0) {
    throw new RangeError(`McNemar counts must be non-negative integers (got ${onlyFirst}, ${onlySecond})`);
  }
  const n = onlyFirst + onlySecond;
  const pValue = n === 0 ? 1 : Math.min(1, 2 * binomialHalfCdf(Math.min(onlyFirst, onlySecond), n));
  return { onlyFirst, onlySecond, pValue };
}

/** McNemar on two runs' per-problem correctness (same problems, same order). */
export function mcnemarFromVerdicts(first: boolean[], second: boolean[]): McNemarResult {
  checkPaired(first, second);
  let b = 0;
  let c = 0;
  for (let i = 0; i < first.length; i++) {
    if (first[i] && !second[i]) b++;
    else if (!first[i] && second[i]) c++;
  }
  return mcnemarExact(b, c);
}

function checkPaired(first: boolean[], second: boolean[]): void {
  if (first.length !== second.length) throw new RangeError(`paired runs differ in length (${first.length} vs ${second.length})`);
}

export interface Interval {
  estimate: number;
  low: number;
  high: number;
  /** e.g. 0.95 */
  confidence: number;
  resamples: number;
  seed: number;
}

export interface BootstrapOptions {
  resamples?: number;
  confidence?: number;
  seed: number;
}

/** Percentile of sorted values (linear interpolation between closest ranks). */
function percentile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Bootstrap (percentile) interval of a statistic of n per-problem values, resampling problems with replacement. */
function bootstrap(values: Float64Array, options: BootstrapOptions): Interval {
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  const n = values.length;
  const estimate = n === 0 ? NaN : values.reduce((a, v) => a + v, 0) / n;
  const next = seededRandom(options.seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(next() * n)];
    means[r] = n === 0 ? NaN : sum / n;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  return { estimate, low: percentile(means, tail), high: percentile(means, 1 - tail), confidence, resamples, seed: options.seed };
}

/** Confidence interval of one run's accuracy. */
export function bootstrapAccuracy(correct: boolean[], options: BootstrapOptions): Interval {
  return bootstrap(
    Float64Array.from(correct, (c) => (c ? 1 : 0)),
    options,
  );
}

/**
 * Paired bootstrap of the accuracy difference (second − first): problems are resampled together, so the
 * interval reflects that both runs answered the same questions.
 */
export function pairedBootstrapDifference(first: boolean[], second: boolean[], options: BootstrapOptions): Interval {
  checkPaired(first, second);
  return bootstrap(
    Float64Array.from(first, (f, i) => (second[i] ? 1 : 0) - (f ? 1 : 0)),
    options,
  );
}

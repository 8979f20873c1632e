/**
 * Plain numbers as exact rationals (BigInt), so `0.75` equals `3/4` exactly and `3` never equals `3.0001`.
 * A decimal keeps how it was written (decimal places, significant digits) for the one lenient rule we allow:
 * a decimal that is the correct rounding of a value that has no finite decimal expansion (`2.6667` for 8/3).
 */

export interface ExactNumber {
  num: bigint;
  /** Always positive. */
  den: bigint;
  /** Digits after the decimal point as written; 0 for integers and fractions. */
  decimals: number;
  /** Significant digits as written (decimals only; fractions count as exact). */
  significant: number;
  /** Written as a decimal literal (the only form the rounding rule applies to). */
  isDecimal: boolean;
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
}

function make(num: bigint, den: bigint, decimals = 0, significant = Infinity, isDecimal = false): ExactNumber | null {
  if (den === 0n) return null;
  if (den < 0n) [num, den] = [-num, -den];
  const g = gcd(num, den) || 1n;
  return { num: num / g, den: den / g, decimals, significant, isDecimal };
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d+))?$/;

function parseDecimal(text: string): ExactNumber | null {
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === '' && m[3] === undefined)) return null;
  const whole = m[2] || '0';
  const frac = m[3] ?? '';
  const digits = (whole + frac).replace(/^0+/, '');
  const num = BigInt(whole + frac) * (m[1] === '-' ? -1n : 1n);
  return make(num, 10n ** BigInt(frac.length), frac.length, Math.max(digits.length, 1), frac.length > 0);
}

function divide(a: ExactNumber, b: ExactNumber): ExactNumber | null {
  return make(a.num * b.den, a.den * b.num);
}

/**
 * Parses `-12`, `.4`, `3.25`, `\frac{3}{4}`, `-\frac{3}{4}`, `\frac{-3}{4}`, `3/4`, and mixed numbers `1\frac{4}{5}`
 * (MATH writes `137 \frac{1}{2}` for 137½). Expects normalised text (no spaces, braces already added).
 */
export function parseExactNumber(text: string): ExactNumber | null {
  const plain = parseDecimal(text);
  if (plain) return plain;
  let m = /^([+-]?)\\frac\{([+-]?[\d.]+)\}\{([+-]?[\d.]+)\}$/.exec(text);
  if (m) {
    const a = parseDecimal(m[2]);
    const b = parseDecimal(m[3]);
    const q = a && b ? divide(a, b) : null;
    return q && m[1] === '-' ? { ...q, num: -q.num } : q;
  }
  m = /^([+-]?[\d.]+)\/([+-]?[\d.]+)$/.exec(text);
  if (m) {
    const a = parseDecimal(m[1]);
    const b = parseDecimal(m[2]);
    return a && b ? divide(a, b) : null;
  }
  m = /^([+-]?)(\d+)\\frac\{(\d+)\}\{(\d+)\}$/.exec(text);
  if (m) {
    const whole = BigInt(m[2]);
    const q = make(whole * BigInt(m[4]) + BigInt(m[3]), BigInt(m[4]));
    return q && m[1] === '-' ? { ...q, num: -q.num } : q;
  }
  return null;
}

export function exactEqual(a: ExactNumber, b: ExactNumber): boolean {
  return a.num === b.num && a.den === b.den;
}

/** A value with a finite decimal expansion: its reduced denominator has no prime factor other than 2 and 5. */
export function terminates(x: ExactNumber): boolean {
  let d = x.den;
  while (d % 2n === 0n) d /= 2n;
  while (d % 5n === 0n) d /= 5n;
  return d === 1n;
}

export function toFloat(x: ExactNumber): number {
  return Number(x.num) / Number(x.den);
}

/** Smallest significant digits a rounded decimal must show to stand in for a non-terminating value. */
export const MIN_ROUNDED_SIGNIFICANT = 3;

/**
 * `decimal` is the correct rounding of `exact` to the places it shows: |exact - decimal| <= half a unit in the
 * last place. Callers check first that the exact value does not terminate (so a written decimal can never be
 * exact, and rounding is the only way to give it); `3.00` for an exact `3.0001` is never accepted.
 */
export function isRoundingOf(decimal: ExactNumber, exactValue: number): boolean {
  if (!decimal.isDecimal || decimal.significant < MIN_ROUNDED_SIGNIFICANT || !Number.isFinite(exactValue)) return false;
  const halfUnit = 0.5 * 10 ** -decimal.decimals;
  const diff = Math.abs(exactValue - toFloat(decimal));
  return diff <= halfUnit * (1 + 1e-9) + Math.abs(exactValue) * 1e-15;
}

/** `1,22` written for `1.22` (a decimal comma): only when the digits are identical to the other side's decimal. */
export function isDecimalCommaOf(commaText: string, pointText: string): boolean {
  return /^-?\d+,\d+$/.test(commaText) && !/^-?[1-9]\d{0,2},\d{3}$/.test(commaText) && commaText.replace(',', '.') === pointText;
}

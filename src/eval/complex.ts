/** Just enough complex arithmetic to evaluate answers such as `6 - 5i` or `e^{i\pi}` numerically. */
export interface Complex {
  re: number;
  im: number;
}

export const c = (re: number, im = 0): Complex => ({ re, im });

export const add = (a: Complex, b: Complex): Complex => c(a.re + b.re, a.im + b.im);
export const sub = (a: Complex, b: Complex): Complex => c(a.re - b.re, a.im - b.im);
export const mul = (a: Complex, b: Complex): Complex => c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);

export function div(a: Complex, b: Complex): Complex {
  const d = b.re * b.re + b.im * b.im;
  if (d === 0) return c(NaN, NaN);
  return c((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d);
}

export const abs = (a: Complex): number => Math.hypot(a.re, a.im);
export const isReal = (a: Complex): boolean => Math.abs(a.im) <= 1e-12 * Math.max(1, Math.abs(a.re));

export function exp(a: Complex): Complex {
  const r = Math.exp(a.re);
  return a.im === 0 ? c(r) : c(r * Math.cos(a.im), r * Math.sin(a.im));
}

export function log(a: Complex): Complex {
  if (a.im === 0 && a.re > 0) return c(Math.log(a.re));
  return c(Math.log(abs(a)), Math.atan2(a.im, a.re));
}

/**
 * Principal power, except that a real base to an integer power, and the real odd root of a negative number
 * (`\sqrt[3]{-8}` is -2 in school algebra, not a complex root), stay real.
 */
export function pow(a: Complex, b: Complex): Complex {
  if (a.im === 0 && b.im === 0) {
    if (Number.isInteger(b.re) || a.re >= 0) return c(Math.pow(a.re, b.re));
    const inverse = 1 / b.re;
    if (Math.abs(inverse - Math.round(inverse)) < 1e-12 && Math.round(inverse) % 2 !== 0) {
      return c(-Math.pow(-a.re, b.re));
    }
  }
  if (a.re === 0 && a.im === 0) return b.re > 0 ? c(0) : c(NaN, NaN);
  return exp(mul(b, log(a)));
}

export function sqrt(a: Complex): Complex {
  if (a.im === 0) return a.re >= 0 ? c(Math.sqrt(a.re)) : c(0, Math.sqrt(-a.re));
  return pow(a, c(0.5));
}

/** Real-only functions: a complex argument gives NaN, which makes the expression "not evaluable" (never equal). */
export function realOnly(f: (x: number) => number): (a: Complex) => Complex {
  return (a) => (isReal(a) ? c(f(a.re)) : c(NaN, NaN));
}

/** Relative closeness, with an absolute floor of 1e-12 so that float noise around zero (sin π) still counts as zero. */
export function closeTo(a: Complex, b: Complex, relTol: number): boolean {
  const diff = abs(sub(a, b));
  return diff <= relTol * Math.max(abs(a), abs(b)) || diff <= 1e-12;
}

export const isFiniteComplex = (a: Complex): boolean => Number.isFinite(a.re) && Number.isFinite(a.im);

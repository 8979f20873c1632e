import { ComputeEngine } from '@cortex-js/compute-engine';
import * as C from './complex';
import type { Complex } from './complex';
import { seededRandom } from '../util/random';

/**
 * Symbolic comparison, bounded and conservative. The compute engine only parses LaTeX into MathJSON (and, for
 * expressions we cannot evaluate, decides structural sameness of canonical forms); the decision "equal" comes from
 * our own evaluation of both sides at the same seeded sample points, in complex arithmetic, to a relative 1e-9.
 * Anything the parser flags as an error, anything too long or too deep, any unknown function: "unknown", which
 * the grader reports as not equal. The CAS can therefore make us reject a right answer, never accept a wrong one
 * (short of two different expressions agreeing at every sample point to 9 digits).
 */

type Json = number | string | { num: string } | Json[];

const MAX_LATEX_CHARS = 600;
const MAX_NODES = 2000;
const SAMPLE_POINTS = 6;
const MIN_VALID_POINTS = 3;
const SAMPLE_SEED = 20240707;
export const SYMBOLIC_REL_TOL = 1e-9;

let engine: ComputeEngine | null = null;
function ce(): ComputeEngine {
  engine ??= new ComputeEngine();
  return engine;
}

export interface ParsedExpression {
  json: Json;
  /** Free variables (symbols that are not constants). */
  variables: string[];
  sameAs(other: ParsedExpression): boolean;
}

const CONSTANTS: Record<string, Complex> = {
  Pi: C.c(Math.PI),
  ExponentialE: C.c(Math.E),
  ImaginaryUnit: C.c(0, 1),
};
const NON_VALUES = new Set(['PositiveInfinity', 'NegativeInfinity', 'ComplexInfinity', 'NaN', 'Nothing', 'Undefined']);

function countNodes(json: Json): number {
  return Array.isArray(json) ? json.reduce<number>((n, child) => n + countNodes(child), 1) : 1;
}

function containsError(json: Json): boolean {
  if (Array.isArray(json)) return json[0] === 'Error' || json.some((child) => containsError(child));
  return false;
}

function collectVariables(json: Json, into: Set<string>): void {
  if (typeof json === 'string') {
    if (!(json in CONSTANTS) && !NON_VALUES.has(json) && !json.startsWith("'")) into.add(json);
    return;
  }
  if (Array.isArray(json)) for (let i = 1; i < json.length; i++) collectVariables(json[i], into);
}

const parseCache = new Map<string, ParsedExpression | null>();

export function parseLatex(latex: string): ParsedExpression | null {
  if (latex.length === 0 || latex.length > MAX_LATEX_CHARS) return null;
  const cached = parseCache.get(latex);
  if (cached !== undefined) return cached;
  let parsed: ParsedExpression | null = null;
  try {
    const boxed = ce().parse(latex);
    const json = boxed.json as Json;
    if (!containsError(json) && countNodes(json) <= MAX_NODES) {
      const vars = new Set<string>();
      collectVariables(json, vars);
      parsed = { json, variables: [...vars].sort(), sameAs: (other) => boxed.isSame(ce().box(other.json as never)) };
    }
  } catch {
    parsed = null;
  }
  if (parseCache.size > 5000) parseCache.clear();
  parseCache.set(latex, parsed);
  return parsed;
}

type Fn = (args: Complex[]) => Complex;
const unary =
  (f: (a: Complex) => Complex): Fn =>
  (args) =>
    args.length === 1 ? f(args[0]) : C.c(NaN, NaN);
const real = (f: (x: number) => number): Fn => unary(C.realOnly(f));

function factorial(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 170) return NaN;
  let r = 1;
  for (let k = 2; k <= n; k++) r *= k;
  return r;
}

const FUNCTIONS: Record<string, Fn> = {
  Add: (a) => a.reduce(C.add, C.c(0)),
  Multiply: (a) => a.reduce(C.mul, C.c(1)),
  Subtract: (a) => (a.length === 2 ? C.sub(a[0], a[1]) : a.length === 1 ? C.sub(C.c(0), a[0]) : C.c(NaN, NaN)),
  Negate: unary((x) => C.sub(C.c(0), x)),
  Divide: (a) => (a.length === 2 ? C.div(a[0], a[1]) : C.c(NaN, NaN)),
  Rational: (a) => (a.length === 2 ? C.div(a[0], a[1]) : C.c(NaN, NaN)),
  Complex: (a) => (a.length === 2 && C.isReal(a[0]) && C.isReal(a[1]) ? C.c(a[0].re, a[1].re) : C.c(NaN, NaN)),
  Power: (a) => (a.length === 2 ? C.pow(a[0], a[1]) : C.c(NaN, NaN)),
  Square: unary((x) => C.mul(x, x)),
  Sqrt: unary(C.sqrt),
  Root: (a) => (a.length === 2 ? C.pow(a[0], C.div(C.c(1), a[1])) : C.c(NaN, NaN)),
  Exp: unary(C.exp),
  Ln: unary(C.log),
  Log: (a) => (a.length === 1 ? C.div(C.log(a[0]), C.c(Math.LN10)) : a.length === 2 ? C.div(C.log(a[0]), C.log(a[1])) : C.c(NaN, NaN)),
  Lb: unary((x) => C.div(C.log(x), C.c(Math.LN2))),
  Lg: unary((x) => C.div(C.log(x), C.c(Math.LN10))),
  Abs: unary((x) => C.c(C.abs(x))),
  Sin: real(Math.sin),
  Cos: real(Math.cos),
  Tan: real(Math.tan),
  Sec: real((x) => 1 / Math.cos(x)),
  Csc: real((x) => 1 / Math.sin(x)),
  Cot: real((x) => 1 / Math.tan(x)),
  Arcsin: real(Math.asin),
  Arccos: real(Math.acos),
  Arctan: real(Math.atan),
  Sinh: real(Math.sinh),
  Cosh: real(Math.cosh),
  Tanh: real(Math.tanh),
  Floor: real(Math.floor),
  Ceil: real(Math.ceil),
  Factorial: real(factorial),
  Binomial: (a) =>
    a.length === 2 && C.isReal(a[0]) && C.isReal(a[1])
      ? C.c(factorial(a[0].re) / (factorial(a[1].re) * factorial(a[0].re - a[1].re)))
      : C.c(NaN, NaN),
  Delimiter: unary((x) => x),
};

/** Value of `json` with `env` for the variables; null when it holds something we do not evaluate. */
function evaluate(json: Json, env: Map<string, Complex>): Complex | null {
  if (typeof json === 'number') return C.c(json);
  if (typeof json === 'string') {
    if (json in CONSTANTS) return CONSTANTS[json];
    return env.get(json) ?? null;
  }
  if (!Array.isArray(json)) return Number.isFinite(parseFloat(json.num)) ? C.c(parseFloat(json.num)) : null;
  const fn = FUNCTIONS[json[0] as string];
  if (!fn) return null;
  const args: Complex[] = [];
  for (let i = 1; i < json.length; i++) {
    const v = evaluate(json[i], env);
    if (!v) return null;
    args.push(v);
  }
  return fn(args);
}

/** The same seeded points for every comparison: values in (0.4, 2.3), away from integers and each other. */
function samplePoints(variables: string[]): Map<string, Complex>[] {
  const next = seededRandom(SAMPLE_SEED);
  const points: Map<string, Complex>[] = [];
  for (let p = 0; p < SAMPLE_POINTS; p++) {
    points.push(new Map(variables.map((v) => [v, C.c(0.4 + 1.9 * next())])));
  }
  return points;
}

/** Numeric value of a constant expression (no variables), or null. */
export function constantValue(latex: string): Complex | null {
  const parsed = parseLatex(latex);
  if (!parsed || parsed.variables.length > 0) return null;
  const v = evaluate(parsed.json, new Map());
  return v && C.isFiniteComplex(v) ? v : null;
}

export type SymbolicOutcome = { verdict: 'equal' | 'different' | 'unknown'; detail: string };

/** Values of both expressions at the shared sample points (pairs where either is undefined are dropped). */
function sampledPairs(a: ParsedExpression, b: ParsedExpression): { pairs: [Complex, Complex][]; domainMismatch: boolean } | null {
  const variables = [...new Set([...a.variables, ...b.variables])].sort();
  const pairs: [Complex, Complex][] = [];
  let domainMismatch = false;
  for (const env of samplePoints(variables)) {
    const va = evaluate(a.json, env);
    const vb = evaluate(b.json, env);
    if (!va || !vb) return null;
    const fa = C.isFiniteComplex(va);
    const fb = C.isFiniteComplex(vb);
    if (fa && fb) pairs.push([va, vb]);
    else if (fa !== fb) domainMismatch = true;
    if (variables.length === 0) break;
  }
  return { pairs, domainMismatch };
}

/** `a` and `b` denote the same value (or, with variables, the same function at every sample point). */
export function compareExpressions(aLatex: string, bLatex: string): SymbolicOutcome {
  const a = parseLatex(aLatex);
  const b = parseLatex(bLatex);
  if (!a || !b) return { verdict: 'unknown', detail: `cannot parse ${!a ? aLatex : bLatex}` };
  const sampled = sampledPairs(a, b);
  if (sampled) {
    const needed = a.variables.length + b.variables.length === 0 ? 1 : MIN_VALID_POINTS;
    if (sampled.domainMismatch) return { verdict: 'different', detail: 'defined at different points' };
    if (sampled.pairs.length >= needed) {
      const bad = sampled.pairs.find(([x, y]) => !C.closeTo(x, y, SYMBOLIC_REL_TOL));
      if (bad) return { verdict: 'different', detail: `values differ (${fmt(bad[0])} vs ${fmt(bad[1])})` };
      return {
        verdict: 'equal',
        detail: needed === 1 ? `same value ${fmt(sampled.pairs[0][0])}` : `agree at ${sampled.pairs.length} sample points`,
      };
    }
  }
  if (a.sameAs(b)) return { verdict: 'equal', detail: 'same canonical form' };
  return { verdict: 'unknown', detail: 'not evaluable and not the same canonical form' };
}

/**
 * `a = k·b` for one constant k at every sample point (k > 0 when `positive`): two equations (as lhs - rhs) or
 * inequalities describe the same set. Needs variables; a constant ratio of two constants says nothing.
 */
export function proportional(aLatex: string, bLatex: string, positive: boolean): SymbolicOutcome {
  const a = parseLatex(aLatex);
  const b = parseLatex(bLatex);
  if (!a || !b) return { verdict: 'unknown', detail: 'cannot parse' };
  if (a.variables.length === 0 && b.variables.length === 0) return { verdict: 'unknown', detail: 'no variables' };
  const sampled = sampledPairs(a, b);
  if (!sampled || sampled.pairs.length < MIN_VALID_POINTS) return { verdict: 'unknown', detail: 'not evaluable' };
  const ratios = sampled.pairs.map(([x, y]) => C.div(x, y));
  const k = ratios[0];
  if (!C.isFiniteComplex(k) || C.abs(k) < 1e-12) return { verdict: 'different', detail: 'not proportional' };
  if (positive && !(C.isReal(k) && k.re > 0)) return { verdict: 'different', detail: 'proportional with a negative factor' };
  if (ratios.some((r) => !C.isFiniteComplex(r) || !C.closeTo(r, k, 1e-8))) return { verdict: 'different', detail: 'not proportional' };
  return { verdict: 'equal', detail: `one is ${fmt(k)} times the other` };
}

function fmt(v: Complex): string {
  const r = Number(v.re.toPrecision(10));
  return C.isReal(v) ? String(r) : `${r}${v.im >= 0 ? '+' : ''}${Number(v.im.toPrecision(10))}i`;
}

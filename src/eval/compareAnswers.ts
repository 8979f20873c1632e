import { parseShape, expandPlusMinus, type Shape, type RelationOp } from './shapes';
import { relationMeaning, type RelationMeaning } from './relations';
import { compareScalars } from './scalars';
import { proportional } from './symbolic';
import { isWrapped } from './latexScan';
import { isDecimalCommaOf } from './numbers';

/**
 * Structural comparison of two normalised answers: forms first (list, tuple, interval, union, matrix, relation),
 * then the pieces, down to scalars. Every decision names the rule that made it.
 */
export interface Decision {
  equal: boolean;
  rule: string;
  reason: string;
}

const MAX_DEPTH = 8;

const yes = (rule: string, reason: string): Decision => ({ equal: true, rule, reason });
const no = (rule: string, reason: string): Decision => ({ equal: false, rule, reason });

function withPlusMinus(text: string): string {
  if (!/\\(?:pm|mp)(?![a-zA-Z])/.test(text)) return text;
  if (isWrapped(text, '\\{', '\\}')) return `\\{${withPlusMinus(text.slice(2, -2))}\\}`;
  const shape = parseShape(text);
  const items = shape.kind === 'list' ? shape.items : [text];
  return items.flatMap((item) => expandPlusMinus(item)).join(',');
}

export function compareAnswers(gold: string, pred: string, depth = 0): Decision {
  if (gold === pred) return yes('identical', 'same text after normalisation');
  if (depth > MAX_DEPTH) return no('too-deep', 'answer nests too deeply to compare');
  const g = withPlusMinus(gold);
  const p = withPlusMinus(pred);
  if (g === p) return yes('plus-minus', '± expands to the same answers');
  if (isDecimalCommaOf(g, p) || isDecimalCommaOf(p, g)) return yes('decimal-comma', `${g} and ${p} differ only in the decimal mark`);
  return compareShapes(parseShape(g), parseShape(p), depth);
}

function compareShapes(g: Shape, p: Shape, depth: number): Decision {
  if (g.kind === 'relation' || p.kind === 'relation') return compareRelations(g, p, depth);
  if (g.kind === 'list' && g.items.length === 1 && g.set) return compareShapes(parseShape(g.items[0]), p, depth);
  if (p.kind === 'list' && p.items.length === 1 && p.set) return compareShapes(g, parseShape(p.items[0]), depth);
  if (g.kind === 'list' && p.kind === 'list') return compareUnordered(g.items, p.items, depth, 'list-unordered');
  if (g.kind === 'list' || p.kind === 'list') {
    const list = (g.kind === 'list' ? g : p) as Extract<Shape, { kind: 'list' }>;
    const other = g.kind === 'list' ? p : g;
    if (!list.set && other.kind === 'seq' && other.open === '(' && other.close === ')' && list.items.every(isAssignment)) {
      const d = compareOrdered(
        g.kind === 'list' ? g.items : (g as typeof other).items,
        p.kind === 'list' ? p.items : (p as typeof other).items,
        depth,
      );
      return d.equal ? yes('tuple-ordered', 'named values `p=5,q=2` against a tuple: same values in the same order') : d;
    }
    return no('form', `a list of ${list.items.length} against ${describe(other)}`);
  }
  if (g.kind !== p.kind) return no('form', `${describe(g)} against ${describe(p)}`);
  switch (g.kind) {
    case 'union':
      return compareUnordered(g.parts, (p as typeof g).parts, depth, 'union');
    case 'seq': {
      const q = p as typeof g;
      if (g.open !== q.open || g.close !== q.close) {
        return no('brackets', `brackets differ: ${g.open}…${g.close} against ${q.open}…${q.close}`);
      }
      const d = compareOrdered(g.items, q.items, depth);
      return d.equal
        ? yes(g.open === '(' && g.close === ')' ? 'tuple-ordered' : 'interval', `same ${g.open}…${g.close} with equal entries`)
        : d;
    }
    case 'matrix': {
      const q = p as typeof g;
      if (g.rows.length !== q.rows.length || g.rows.some((row, i) => row.length !== q.rows[i].length)) {
        return no('matrix', 'matrix sizes differ');
      }
      const d = compareOrdered(g.rows.flat(), q.rows.flat(), depth);
      return d.equal ? yes('matrix', 'same size, equal entries') : d;
    }
    case 'ratio': {
      const d = compareOrdered(g.items, (p as typeof g).items, depth);
      return d.equal ? yes('ratio', 'same ratio terms in order') : d;
    }
    case 'scalar':
      return compareScalars(g.text, (p as typeof g).text);
    default:
      return no('form', 'unrecognised form');
  }
}

/**
 * `p=5` (a named value). Only a list of named values stands for a tuple; a bare list `-2,1` never matches `(-2,1)`,
 * which may be an interval.
 */
function isAssignment(item: string): boolean {
  const shape = parseShape(item);
  if (shape.kind !== 'relation') return false;
  const meaning = relationMeaning(shape);
  return meaning.kind === 'value' && meaning.name !== null;
}

function describe(shape: Shape): string {
  switch (shape.kind) {
    case 'list':
      return `a ${shape.set ? 'set' : 'list'} of ${shape.items.length}`;
    case 'seq':
      return `${shape.open}…${shape.close} of ${shape.items.length}`;
    case 'matrix':
      return 'a matrix';
    case 'relation':
      return 'a relation';
    case 'union':
      return 'a union';
    case 'ratio':
      return 'a ratio';
    default:
      return 'a single value';
  }
}

function compareOrdered(a: string[], b: string[], depth: number): Decision {
  if (a.length !== b.length) return no('length', `${a.length} entries against ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const d = compareAnswers(a[i], b[i], depth + 1);
    if (!d.equal) return no(d.rule, `entry ${i + 1}: ${d.reason}`);
  }
  return yes('ordered', 'entries equal in order');
}

/** Same members, ignoring order and repeats: every item of each side equals some item of the other. */
function compareUnordered(a: string[], b: string[], depth: number, rule: string): Decision {
  const missing = (from: string[], to: string[]) => from.find((x) => !to.some((y) => compareAnswers(x, y, depth + 1).equal));
  const lost = missing(a, b);
  if (lost !== undefined) return no(rule, `"${lost}" has no equal in the other answer`);
  const extra = missing(b, a);
  if (extra !== undefined) return no(rule, `"${extra}" has no equal in the other answer`);
  return yes(rule, `same ${a.length === b.length ? a.length : `${a.length}/${b.length}`} members in any order`);
}

const INEQUALITY_OPS: RelationOp[] = ['<', '>', '\\le', '\\ge', '\\ne'];

function singleInequality(shape: Shape): { diff: string; op: string } | null {
  if (shape.kind !== 'relation' || shape.ops.length !== 1 || !INEQUALITY_OPS.includes(shape.ops[0])) return null;
  const [l, r] = shape.parts;
  const op = shape.ops[0];
  if (op === '>' || op === '\\ge') return { diff: `(${r})-(${l})`, op: op === '>' ? '<' : '\\le' };
  return { diff: `(${l})-(${r})`, op };
}

function compareRelations(g: Shape, p: Shape, depth: number): Decision {
  const gi = singleInequality(g);
  const pi = singleInequality(p);
  if (gi && pi) {
    if (gi.op !== pi.op) return no('inequality', `different relations (${gi.op} against ${pi.op})`);
    const d = proportional(gi.diff, pi.diff, gi.op !== '\\ne');
    if (d.verdict === 'equal') return yes('inequality', `same inequality: ${d.detail}`);
  }
  const gm = g.kind === 'relation' ? relationMeaning(g) : null;
  const pm = p.kind === 'relation' ? relationMeaning(p) : null;
  const ge = singleEquation(g);
  const pe = singleEquation(p);
  if (ge && pe) {
    const d = proportional(ge, pe, false);
    if (d.verdict === 'equal') return yes('equation-factor', `same equation up to a factor: ${d.detail}`);
    if (gm?.kind === 'equation' || pm?.kind === 'equation') return no('equation-factor', `equations differ (${d.detail})`);
  }
  if (gm && pm) return compareMeanings(gm, pm, g, p, depth);
  const meaning = (gm ?? pm)!;
  const other = gm ? p : g;
  const relationText = gm ? 'the gold answer' : 'the prediction';
  if (meaning.kind === 'value')
    return relabel(compareShapes(parseShape(meaning.value), other, depth), 'assignment', `${relationText} names its value`);
  if (meaning.kind === 'set')
    return relabel(compareShapes(parseShape(meaning.set), other, depth), 'set-of-values', `${relationText} describes a set`);
  return no('relation', `${relationText} is a relation, the other answer is not`);
}

/** `lhs - rhs` of a relation that is one equation `a = b`. */
function singleEquation(shape: Shape): string | null {
  if (shape.kind !== 'relation' || shape.ops.length !== 1 || shape.ops[0] !== '=') return null;
  return `(${shape.parts[0]})-(${shape.parts[1]})`;
}

/** `W(n) = 1` and `W(x) = 1` define the same function: rename the prediction's argument to the gold's. */
function renameDummyArgument(goldName: string, predName: string, predValue: string): string | null {
  const g = /^([A-Za-z])\(([a-z])\)$/.exec(goldName);
  const p = /^([A-Za-z])\(([a-z])\)$/.exec(predName);
  if (!g || !p || g[1] !== p[1] || g[2] === p[2]) return null;
  if (new RegExp(`(?<![A-Za-z\\\\])${g[2]}(?![A-Za-z])`).test(predValue)) return null;
  return predValue.replace(new RegExp(`(?<![A-Za-z\\\\])${p[2]}(?![A-Za-z])`, 'g'), g[2]);
}

function compareMeanings(gm: RelationMeaning, pm: RelationMeaning, g: Shape, p: Shape, depth: number): Decision {
  if (gm.kind === 'value' && pm.kind === 'value') {
    if (gm.name && pm.name && gm.name !== pm.name) {
      const renamed = renameDummyArgument(gm.name, pm.name, pm.value);
      if (renamed !== null)
        return relabel(compareAnswers(gm.value, renamed, depth + 1), 'function-definition', `same definition of ${gm.name}`);
      const eq = proportional(`(${gm.name})-(${gm.value})`, `(${pm.name})-(${pm.value})`, false);
      if (eq.verdict !== 'equal') return no('assignment', `different names (${gm.name} against ${pm.name})`);
    }
    return relabel(compareAnswers(gm.value, pm.value, depth + 1), 'assignment', 'values of the same name');
  }
  if (gm.kind === 'set' && pm.kind === 'set')
    return relabel(compareAnswers(gm.set, pm.set, depth + 1), 'set-of-values', 'same set of values');
  if (g.kind === 'relation' && p.kind === 'relation' && g.ops.join() === p.ops.join()) {
    const d = compareOrdered(g.parts, p.parts, depth);
    return d.equal ? yes('relation', 'same relation, equal parts') : d;
  }
  return no('relation', 'relations of different kinds');
}

function relabel(d: Decision, rule: string, why: string): Decision {
  return d.equal ? yes(`${rule}+${d.rule}`, `${why}; ${d.reason}`) : d;
}

import { isName, type RelationOp, type Shape } from './shapes';

/**
 * What a relation answer says, in forms the comparison can use:
 * - `x = 5`, `k = 45`, `(p,q) = (3,2)`: the value 5 assigned to a name (the name is dropped against a bare value);
 * - a chain `x = 5+5+1 = 7 = 11` or `z = 1+1 = 2`: its last exact part (parts after `\approx` are ignored when an
 *   exact part exists, so `x = 1/3 \approx 0.33` means 1/3);
 * - `2x+4y-3 = 0`: an equation, compared with another equation up to a nonzero factor, never reduced to "0";
 * - `x \ge 5`, `-2 \le x \le 7`, `x \in [-2,7]`: a set of values of one variable, as interval text.
 */
export type RelationMeaning =
  | { kind: 'value'; name: string | null; value: string }
  | { kind: 'equation'; lhs: string; rhs: string }
  | { kind: 'inequality'; lhs: string; op: '<' | '\\le' | '\\ne'; rhs: string }
  | { kind: 'set'; name: string; set: string }
  | { kind: 'other' };

type RelationShape = Extract<Shape, { kind: 'relation' }>;

const FLIP: Partial<Record<RelationOp, RelationOp>> = { '>': '<', '\\ge': '\\le', '<': '>', '\\le': '\\ge' };

/** Interval text for `name op bound` (name on the left). */
function halfLine(op: RelationOp, bound: string): string | null {
  switch (op) {
    case '<':
      return `(-\\infty,${bound})`;
    case '\\le':
      return `(-\\infty,${bound}]`;
    case '>':
      return `(${bound},\\infty)`;
    case '\\ge':
      return `[${bound},\\infty)`;
    default:
      return null;
  }
}

function meaningOfEqualities(parts: string[], ops: RelationOp[]): RelationMeaning {
  const hasExact = ops.includes('=');
  const kept: string[] = [parts[0]];
  for (let i = 0; i < ops.length; i++) if (!hasExact || ops[i] === '=') kept.push(parts[i + 1]);
  if (kept.length >= 3) return { kind: 'value', name: isName(kept[0]) ? kept[0] : null, value: kept[kept.length - 1] };
  const [lhs, rhs] = kept;
  if (isName(lhs)) return { kind: 'value', name: lhs, value: rhs };
  if (isConstant(lhs) && isConstant(rhs)) return { kind: 'value', name: null, value: rhs };
  if (!hasExact) return { kind: 'other' };
  return { kind: 'equation', lhs, rhs };
}

/** No letters outside command names (`\\frac{1}{2}`, `5+5+1`, `\\sqrt{2}\\pi`): a computation, not an equation. */
function isConstant(text: string): boolean {
  return !/[A-Za-z]/.test(text.replace(/\\[a-zA-Z]+/g, ''));
}

export function relationMeaning(shape: RelationShape): RelationMeaning {
  const { parts, ops } = shape;
  if (ops.every((op) => op === '=' || op === '\\approx')) return meaningOfEqualities(parts, ops);
  if (ops.length === 1 && ops[0] === '\\in') return isName(parts[0]) ? { kind: 'set', name: parts[0], set: parts[1] } : { kind: 'other' };
  if (ops.length === 1) {
    const [lhs, rhs] = parts;
    const op = ops[0];
    if (isName(lhs) && !isName(rhs)) {
      const set = halfLine(op, rhs);
      if (set) return { kind: 'set', name: lhs, set };
    }
    if (isName(rhs) && !isName(lhs) && FLIP[op]) {
      const set = halfLine(FLIP[op]!, lhs);
      if (set) return { kind: 'set', name: rhs, set };
    }
    if (op === '<' || op === '\\le' || op === '\\ne') return { kind: 'inequality', lhs, op, rhs };
    if (op === '>' || op === '\\ge') return { kind: 'inequality', lhs: rhs, op: op === '>' ? '<' : '\\le', rhs: lhs };
    return { kind: 'other' };
  }
  if (ops.length === 2 && isName(parts[1]) && !isName(parts[0]) && !isName(parts[2])) {
    const [a, b] = ops;
    const lower = (op: RelationOp) => (op === '<' ? '(' : op === '\\le' ? '[' : null);
    const upper = (op: RelationOp) => (op === '<' ? ')' : op === '\\le' ? ']' : null);
    if (lower(a) && upper(b)) return { kind: 'set', name: parts[1], set: `${lower(a)}${parts[0]},${parts[2]}${upper(b)}` };
    const lowerFlipped = (op: RelationOp) => (op === '>' ? ')' : op === '\\ge' ? ']' : null);
    const upperFlipped = (op: RelationOp) => (op === '>' ? '(' : op === '\\ge' ? '[' : null);
    if (lowerFlipped(a) && upperFlipped(b))
      return { kind: 'set', name: parts[1], set: `${upperFlipped(b)}${parts[2]},${parts[0]}${lowerFlipped(a)}` };
  }
  return { kind: 'other' };
}

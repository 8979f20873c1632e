import { closingBrace, isWrapped, splitTopLevel } from './latexScan';

/**
 * The outer form of a normalised answer: what kind of object it is, before any mathematics. A comparison first
 * checks that both answers have compatible forms (a tuple against a tuple, an interval's bracket kinds, a
 * matrix's size), then compares the pieces.
 */
export type RelationOp = '=' | '<' | '>' | '\\le' | '\\ge' | '\\ne' | '\\approx' | '\\in';

export type Shape =
  | { kind: 'list'; items: string[]; set: boolean }
  | { kind: 'relation'; parts: string[]; ops: RelationOp[] }
  | { kind: 'union'; parts: string[] }
  | { kind: 'seq'; open: '(' | '['; close: ')' | ']'; items: string[] }
  | { kind: 'matrix'; rows: string[][] }
  | { kind: 'ratio'; items: string[] }
  | { kind: 'scalar'; text: string };

const RELATION_SEPARATORS: RegExp[] = [/\\(?:le|ge|ne|approx|in)(?![a-zA-Z])/, /=/, /</, />/];
const MATRIX_ENV = /\\begin\{([pbvBV]?matrix|array)\}/;

function relationOp(token: string): RelationOp {
  return token as RelationOp;
}

/** Splits `a=b\le c` into parts and operators (top level only). */
function splitRelation(text: string): { parts: string[]; ops: RelationOp[] } | null {
  const parts = splitTopLevel(text, RELATION_SEPARATORS);
  if (parts.length < 2) return null;
  const ops: RelationOp[] = [];
  let rest = text;
  for (let i = 0; i < parts.length - 1; i++) {
    const at = rest.indexOf(parts[i]) + parts[i].length;
    rest = rest.slice(at);
    const m = /^\s*(\\(?:le|ge|ne|approx|in)(?![a-zA-Z])|=|<|>)/.exec(rest);
    if (!m) return null;
    ops.push(relationOp(m[1]));
    rest = rest.slice(m[0].length);
  }
  return { parts, ops };
}

function parseMatrix(text: string): string[][] | null {
  let t = text;
  if ((t.startsWith('(') && t.endsWith(')')) || (t.startsWith('[') && t.endsWith(']'))) t = t.slice(1, -1);
  const m = MATRIX_ENV.exec(t);
  if (!m || m.index !== 0) return null;
  let body = t.slice(m[0].length);
  if (m[1] === 'array' && body.startsWith('{')) body = body.slice(closingBrace(body, 0));
  const end = body.lastIndexOf(`\\end{${m[1]}}`);
  if (end < 0 || body.slice(end + `\\end{${m[1]}}`.length).trim() !== '') return null;
  const rows = body
    .slice(0, end)
    .split(/\\\\/)
    .map((row) => row.split('&').map((cell) => cell.trim()))
    .filter((row) => !(row.length === 1 && row[0] === ''));
  return rows.length > 0 ? rows : null;
}

export function parseShape(text: string): Shape {
  const rows = MATRIX_ENV.test(text) ? parseMatrix(text) : null;
  if (rows) return { kind: 'matrix', rows };
  const semis = splitTopLevel(text, [';']);
  if (semis.length > 1) return { kind: 'list', items: semis, set: false };
  const commas = splitTopLevel(text, [',']);
  if (commas.length > 1) return { kind: 'list', items: commas, set: false };
  const relation = splitRelation(text);
  if (relation) return { kind: 'relation', ...relation };
  const union = splitTopLevel(text, [/\\cup(?![a-zA-Z])/]);
  if (union.length > 1) return { kind: 'union', parts: union };
  if (isWrapped(text, '\\{', '\\}')) {
    const inner = text.slice(2, -2);
    const items = splitTopLevel(inner, [splitTopLevel(inner, [';']).length > 1 ? ';' : ',']);
    return { kind: 'list', items, set: true };
  }
  const open = text[0];
  const close = text[text.length - 1];
  if ((open === '(' || open === '[') && (close === ')' || close === ']') && wrappedAnyPair(text)) {
    const inner = text.slice(1, -1);
    const items = splitTopLevel(inner, [splitTopLevel(inner, [';']).length > 1 ? ';' : ',']);
    if (items.length === 1 && open === '(' && close === ')') return parseShape(items[0]);
    if (items.length >= 1) return { kind: 'seq', open, close, items };
  }
  const ratio = splitTopLevel(text, [':']);
  if (ratio.length > 1) return { kind: 'ratio', items: ratio };
  return { kind: 'scalar', text };
}

/** `[0,1)` is one group even though its brackets differ: check wrapping with the closer swapped to match. */
function wrappedAnyPair(text: string): boolean {
  const open = text[0];
  const matching = open === '(' ? ')' : ']';
  return isWrapped(text.slice(0, -1) + matching, open, matching);
}

/**
 * A left-hand side that only names the answer: `x`, `a_{37}`, `f(x)`, `|AB|`, `(p,q)`, `A:B`, `\frac{NO}{BO}`,
 * `S_{MBCN}:S`. Never a sum or anything with a number outside a subscript (`7 = 11a+c` is not "11a+c").
 */
export function isName(lhs: string): boolean {
  const stripped = lhs
    .replace(/_\{[^{}]*\}|_[A-Za-z0-9]/g, '')
    .replace(/\\frac\{([^{}]*)\}\{([^{}]*)\}/g, '$1:$2')
    .replace(/\\(?:overline|angle|mathbf|vec|hat)(?![a-zA-Z])/g, '')
    .replace(/\\(?:alpha|beta|gamma|delta|theta|phi|varphi|lambda|mu|omega|pi|sigma|rho|tau)(?![a-zA-Z])/g, 'a')
    .replace(/[{}\s']/g, '');
  return /^[A-Za-z(|][A-Za-z(),:|]*$/.test(stripped) && /[A-Za-z]/.test(stripped);
}

/** Expands `a \pm b` into the two answers `a+b` and `a-b` (at most two signs, four answers). */
export function expandPlusMinus(text: string, depth = 0): string[] {
  const at = text.search(/\\(?:pm|mp)(?![a-zA-Z])/);
  if (at < 0 || depth >= 2) return [text];
  const token = text.startsWith('\\pm', at) ? '\\pm' : '\\mp';
  const before = text.slice(0, at);
  const after = text.slice(at + token.length);
  const [first, second] = token === '\\pm' ? ['+', '-'] : ['-', '+'];
  return [...expandPlusMinus(before + first + after, depth + 1), ...expandPlusMinus(before + second + after, depth + 1)];
}

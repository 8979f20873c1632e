import { replaceCommand, isWrapped } from './latexScan';

/**
 * MATH-style cleanup of an extracted answer, done carefully: every step removes only notation, never mathematics.
 * Units are dropped only as a trailing word after a number (so `(a+5)(b+2)` and `\left(` are never touched), a
 * variable prefix `x=` is left to the comparison (which knows whether the other side is an equation), and the
 * result has no spaces so two spellings of one answer become one string.
 */

const TEXT_WRAPPERS = [
  'text',
  'textbf',
  'textit',
  'textnormal',
  'textrm',
  'mbox',
  'mathrm',
  'mathbf',
  'mathit',
  'boldsymbol',
  'operatorname',
  'displaystyle',
  'boxed',
  'fbox',
];
/** Words that count as a unit when they trail a number ("125 miles", "5.4 cents"). Any 2+ letter word qualifies. */
const UNIT_WORDS = /^(?:[A-Za-z]{2,}\.?)(?:\s+[A-Za-z]{2,}\.?){0,2}(?:\s*(?:\^\s*\{?[23]\}?|²|³))?$/;
const PERCENT_WORDS = /\s*(?:\\%|%|\bpercent(?:age)?\b|\bpct\b)\s*$/i;

/** Fixes doubly escaped commands (`\\frac`, `\\le`) that come from JSON/Python test strings, outside environments. */
function undoubleBackslashes(text: string): string {
  if (text.includes('\\begin')) return text;
  return text.replace(/\\\\(?=[a-zA-Z])/g, '\\');
}

function stripDelimiters(text: string): string {
  let t = text.trim();
  for (let changed = true; changed;) {
    changed = false;
    for (const [open, close] of [
      ['$$', '$$'],
      ['$', '$'],
      ['\\(', '\\)'],
      ['\\[', '\\]'],
    ]) {
      if (t.startsWith(open) && t.endsWith(close) && t.length >= open.length + close.length) {
        t = t.slice(open.length, t.length - close.length).trim();
        changed = true;
      }
    }
  }
  return t
    .replace(/\\\$/g, '')
    .replace(/\$/g, '')
    .replace(/\\[()[\]]/g, ' ');
}

/** `\frac12` → `\frac{1}{2}`, `\frac3{3}` → `\frac{3}{3}`, `\sqrt3` → `\sqrt{3}`: single-token arguments get braces. */
function braceShortArguments(text: string): string {
  return text
    .replace(/\\frac\s*(\d)\s*(\d)/g, '\\frac{$1}{$2}')
    .replace(/\\frac\s*(\d)\s*\{/g, '\\frac{$1}{')
    .replace(/\\frac\s*(\{[^{}]*\})\s*(\d)/g, '\\frac$1{$2}')
    .replace(/\\frac\s*([a-zA-Z])\s*([a-zA-Z\d])/g, '\\frac{$1}{$2}')
    .replace(/\\sqrt\s*(\d+|[a-zA-Z])(?![\d{])/g, '\\sqrt{$1}');
}

function unifyRelations(text: string): string {
  return text
    .replace(/\\(?:leqslant|leq|le)(?![a-zA-Z])|<=|≤/g, '\\le ')
    .replace(/\\(?:geqslant|geq|ge)(?![a-zA-Z])|>=|≥/g, '\\ge ')
    .replace(/\\(?:neq|ne)(?![a-zA-Z])|!=|≠/g, '\\ne ')
    .replace(/\\lt(?![a-zA-Z])/g, '<')
    .replace(/\\gt(?![a-zA-Z])/g, '>');
}

/** Trailing units after a number: `10\text{ units}`, `15\mbox{ cm}^2`, `125 miles`, `0.06 yuan`. */
function stripTrailingUnits(text: string): string {
  const withUnitText =
    /^(.*?[\d})\]])\s*\\(?:text|mbox|textnormal|mathrm|textrm)\s*\{\s*([A-Za-z][A-Za-z .]*)\}\s*(\^\s*\{?[23]\}?)?$/.exec(text);
  if (withUnitText && !/^\s*(?:and|or)\s*$/i.test(withUnitText[2]) && hasNoBareLetters(withUnitText[1])) return withUnitText[1];
  const m = /^(.*?\d\}?)\s+([A-Za-z][\s\S]*)$/.exec(text);
  if (m && UNIT_WORDS.test(m[2].trim()) && !/\b(?:and|or)\b/i.test(m[2]) && hasNoBareLetters(m[1])) return m[1];
  return text;
}

/** True when every letter belongs to a command name (`\frac`, `\pi`): the text is a number, not an expression. */
function hasNoBareLetters(text: string): boolean {
  return !/[A-Za-z]/.test(text.replace(/\\[a-zA-Z]+/g, ''));
}

function stripDegrees(text: string): string {
  return text
    .replace(/\s*\^\s*\{?\s*\\circ\s*\}?(?=\s*(?:$|[,)\]]))/g, '')
    .replace(/°/g, '')
    .replace(/\\degree/g, '');
}

export interface NormalisedAnswer {
  /** The compact normalised text (no spaces, no delimiters, no units, `%` removed). */
  text: string;
  /** The answer was given as a percentage (`28\%`, `28 percent`). */
  percent: boolean;
}

export function normaliseAnswer(raw: string): NormalisedAnswer {
  let t = undoubleBackslashes(raw).replace(/\u000c/g, '\\f');
  t = t.replace(/<\|[^|]*\|>[\s\S]*$/, '');
  t = stripDelimiters(t).trim();
  t = t
    .replace(/\\?"/g, '')
    .replace(/[.\s]+$/, '')
    .replace(/^[:\s]+/, '');
  t = t.replace(/(\d),\\!\s*(?=\d{3}(?!\d))/g, '$1');
  t = t.replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![a-zA-Z])\.?/g, '');
  t = t.replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac');
  t = t
    .replace(/\\q?quad(?![a-z])|\\q?quad(?=[A-Za-z])/g, ' ')
    .replace(/(?<!\\)\\[,;: ]|~/g, ' ')
    .replace(/(?<!\\)\\!/g, '');
  t = t.replace(/\\displaystyle/g, '');
  t = unifyRelations(t);
  t = t.replace(/\+\s*\\infty/g, '\\infty');
  t = stripDegrees(t);
  let percent = false;
  if (PERCENT_WORDS.test(t)) {
    percent = true;
    t = t.replace(PERCENT_WORDS, '');
  }
  t = t.replace(/\\%/g, '%');
  t = stripTrailingUnits(t.trim());
  for (const name of TEXT_WRAPPERS) t = replaceCommand(t, name, (arg) => ` ${arg} `);
  t = t
    .replace(/\{\s*,\s*\}/g, '')
    .replace(/(\d),(?=\d{3}(?!\d))/g, (m, d: string, offset: number, s: string) => (isThousands(s, offset) ? d : m));
  t = stripTrailingUnits(t.trim());
  t = braceShortArguments(t);
  t = t.replace(/\s*\b(?:and|or)\b\s*/g, (m, offset: number, s: string) => (isConnective(s) ? ',' : m));
  t = t.replace(/(?<=[\d)\]}])(?:and|or)(?=[A-Z(\\\d-])/g, ',');
  t = collapseSpaces(t).replace(/,{2,}/g, ',').replace(/^,|,$/g, '');
  if (isWrapped(t, '{', '}')) t = t.slice(1, -1);
  return { text: t, percent };
}

/** Removes spaces, except one after a command name followed by a letter (`\sin b`, `\le x` keep their meaning). */
function collapseSpaces(text: string): string {
  return text.replace(/\s+/g, (space: string, offset: number, s: string) =>
    /\\[a-zA-Z]+$/.test(s.slice(0, offset)) && /[a-zA-Z]/.test(s[offset + space.length] ?? '') ? ' ' : '',
  );
}

/** A comma before three digits is a thousands separator when the whole run looks like `12,345,678(.9)`. */
function isThousands(s: string, offset: number): boolean {
  let start = offset;
  while (start > 0 && /[\d,]/.test(s[start - 1])) start--;
  let end = offset;
  while (end < s.length && /[\d,]/.test(s[end])) end++;
  const run = s.slice(start, end);
  const before = s.slice(0, start).trim();
  const after = s.slice(end).trim();
  const standalone = (before === '' || /[=\\$]$/.test(before)) && (after === '' || /^\.\d+$/.test(after));
  return standalone && /^[1-9]\d{0,2}(,\d{3})+$/.test(run);
}

/** "and"/"or" separate list items only when the answer holds mathematics, not in a sentence answer. */
function isConnective(s: string): boolean {
  return /[\d\\=(]/.test(s);
}

/**
 * Splits model output into plain text and TeX math, the way a reader of a math answer expects: `$$…$$` and `\[…\]`
 * are display math, `$…$` and `\(…\)` inline math, and a bare `\boxed{…}` (models often write one outside any
 * delimiter) is inline math too. Pure string work: the page turns text segments into text nodes and math segments
 * into KaTeX output (see renderMath.ts), so nothing here ever becomes HTML.
 */
export type MathSegment = { kind: 'text'; text: string } | { kind: 'math'; tex: string; display: boolean; source: string };

interface Found {
  start: number;
  end: number;
  tex: string;
  display: boolean;
}

/** The bracketed delimiters; `$` needs its own rules (currency, escaped `\$`). */
const PAIRED: { open: string; close: string; display: boolean }[] = [
  { open: '$$', close: '$$', display: true },
  { open: '\\[', close: '\\]', display: true },
  { open: '\\(', close: '\\)', display: false },
];

const BOXED = '\\boxed{';

function isEscaped(s: string, at: number): boolean {
  let backslashes = 0;
  for (let i = at - 1; i >= 0 && s[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

/** Index just past the `}` that closes the `{` at `open`, or -1 when the braces never balance. */
function closingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * `$…$` as Pandoc reads it: the opening `$` is not followed by a space, the closing one not preceded by a space nor
 * followed by a digit, so "costs $5 and $10" stays text.
 */
function inlineDollar(s: string, at: number): Found | undefined {
  const next = s[at + 1];
  if (next === undefined || /\s/.test(next) || next === '$') return undefined;
  for (let i = at + 1; i < s.length; i++) {
    if (s[i] === '\n' && s[i + 1] === '\n') return undefined;
    if (s[i] !== '$' || isEscaped(s, i)) continue;
    if (/\s/.test(s[i - 1]) || /[0-9]/.test(s[i + 1] ?? '')) continue;
    return { start: at, end: i + 1, tex: s.slice(at + 1, i), display: false };
  }
  return undefined;
}

function findAt(s: string, at: number): Found | undefined {
  if (isEscaped(s, at)) return undefined;
  for (const p of PAIRED) {
    if (!s.startsWith(p.open, at)) continue;
    const close = s.indexOf(p.close, at + p.open.length);
    if (close < 0 || close === at + p.open.length) return undefined;
    return { start: at, end: close + p.close.length, tex: s.slice(at + p.open.length, close), display: p.display };
  }
  if (s[at] === '$') return inlineDollar(s, at);
  if (s.startsWith(BOXED, at)) {
    const end = closingBrace(s, at + BOXED.length - 1);
    if (end > 0) return { start: at, end, tex: s.slice(at, end), display: false };
  }
  return undefined;
}

export function splitMath(input: string): MathSegment[] {
  const segments: MathSegment[] = [];
  let textStart = 0;
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    const found = c === '$' || c === '\\' ? findAt(input, i) : undefined;
    if (!found || found.tex.trim() === '') {
      i++;
      continue;
    }
    if (found.start > textStart) segments.push({ kind: 'text', text: input.slice(textStart, found.start) });
    segments.push({ kind: 'math', tex: found.tex, display: found.display, source: input.slice(found.start, found.end) });
    i = textStart = found.end;
  }
  if (textStart < input.length) segments.push({ kind: 'text', text: input.slice(textStart) });
  return segments;
}

/**
 * Small scanners over LaTeX answer text: balanced groups and top-level splitting. Everything in the grader
 * that needs to know "is this comma inside brackets?" asks here, so nesting is handled in one place.
 */

const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS = new Set([')', ']', '}']);

/** Index just past the `}` that closes the `{` at `openIndex`, or -1 when the group never closes. Skips `\{`/`\}`. */
export function closingBrace(text: string, openIndex: number): number {
  let depth = 0;
  for (let i = openIndex; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * Bracket depth of every character: `()`, `[]`, `{}` and `\{ \}` all count, so an interval `[0,1)` (mismatched
 * on purpose) still nests. `\left`/`\right` must already be gone.
 */
function depthProfile(text: string): number[] {
  const depth: number[] = new Array(text.length);
  let d = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && (text[i + 1] === '{' || text[i + 1] === '}')) {
      const opening = text[i + 1] === '{';
      if (!opening) d = Math.max(0, d - 1);
      depth[i] = d;
      depth[i + 1] = d;
      if (opening) d++;
      i++;
      continue;
    }
    if (c in OPENERS) {
      depth[i] = d;
      d++;
    } else if (CLOSERS.has(c)) {
      d = Math.max(0, d - 1);
      depth[i] = d;
    } else depth[i] = d;
  }
  return depth;
}

/** Splits at separators (single characters or words) that sit outside every bracket. Empty pieces are dropped. */
export function splitTopLevel(text: string, separators: (string | RegExp)[]): string[] {
  const depth = depthProfile(text);
  const pieces: string[] = [];
  let start = 0;
  let i = 0;
  outer: while (i < text.length) {
    if (depth[i] === 0) {
      for (const sep of separators) {
        let length = 0;
        if (typeof sep === 'string') {
          if (text.startsWith(sep, i)) length = sep.length;
        } else {
          const sticky = new RegExp(sep.source, 'y');
          sticky.lastIndex = i;
          const m = sticky.exec(text);
          if (m && m[0].length > 0) length = m[0].length;
        }
        if (length > 0) {
          pieces.push(text.slice(start, i));
          i += length;
          start = i;
          continue outer;
        }
      }
    }
    i++;
  }
  pieces.push(text.slice(start));
  return pieces.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** True when `text` is one bracketed group from its first to its last character, e.g. `(1,2)` but not `(1)(2)`. */
export function isWrapped(text: string, open: string, close: string): boolean {
  if (!text.startsWith(open) || !text.endsWith(close) || text.length < open.length + close.length) return false;
  const depth = depthProfile(text);
  const innerEnd = text.length - close.length;
  for (let i = open.length; i < innerEnd; i++) if (depth[i] === 0) return false;
  return true;
}

/** The argument of `\name{...}` starting at `index` (which points at the backslash), with the index past it. */
export function commandArgument(text: string, index: number, name: string): { arg: string; end: number } | null {
  let i = index + name.length + 1;
  while (text[i] === ' ') i++;
  if (text[i] !== '{') return null;
  const end = closingBrace(text, i);
  if (end < 0) return { arg: text.slice(i + 1), end: text.length };
  return { arg: text.slice(i + 1, end - 1), end };
}

/** Replaces every `\name{arg}` by `render(arg)`, innermost-safe (the argument is passed through raw). */
export function replaceCommand(text: string, name: string, render: (arg: string) => string): string {
  const pattern = new RegExp(`\\\\${name}(?![a-zA-Z])`, 'g');
  let out = '';
  let last = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    if (m.index < last) continue;
    const found = commandArgument(text, m.index, name);
    if (!found) continue;
    out += text.slice(last, m.index) + render(found.arg);
    last = found.end;
    pattern.lastIndex = found.end;
  }
  return out + text.slice(last);
}

import katex from 'katex';
import { splitMath } from './mathSegments';

/**
 * What MathText.svelte shows: text pieces go into text nodes, `html` pieces are KaTeX's own markup. Model output
 * reaches HTML only through KaTeX with `trust: false` (no \href, \url, \includegraphics, \htmlClass…, and every
 * character escaped); math KaTeX cannot parse falls back to a text piece with its source, delimiters included.
 */
export type MathPiece = { kind: 'text'; text: string } | { kind: 'math'; html: string; display: boolean; source: string };

const KATEX_OPTIONS = { trust: false, throwOnError: false, strict: 'ignore' } as const;

/** KaTeX's markup for `tex`, or undefined when it does not parse. */
export function renderTex(tex: string, display: boolean): string | undefined {
  const html = katex.renderToString(tex, { ...KATEX_OPTIONS, displayMode: display });
  // With throwOnError off, a parse error comes back as one span holding the source; show the source as text instead.
  return html.startsWith('<span class="katex-error"') ? undefined : html;
}

/** An answer that is TeX without delimiters (MATH's reference answers, extracted answers): all math, or text if it does not parse. */
export function renderAnswer(tex: string): MathPiece[] {
  const html = tex.trim() === '' ? undefined : renderTex(tex, false);
  return html === undefined ? [{ kind: 'text', text: tex }] : [{ kind: 'math', html, display: false, source: tex }];
}

export function renderMathText(input: string): MathPiece[] {
  const pieces: MathPiece[] = [];
  const pushText = (text: string) => {
    const last = pieces.at(-1);
    if (last?.kind === 'text') last.text += text;
    else pieces.push({ kind: 'text', text });
  };
  for (const segment of splitMath(input)) {
    if (segment.kind === 'text') {
      pushText(segment.text);
      continue;
    }
    const html = renderTex(segment.tex, segment.display);
    if (html === undefined) pushText(segment.source);
    else pieces.push({ kind: 'math', html, display: segment.display, source: segment.source });
  }
  return pieces;
}

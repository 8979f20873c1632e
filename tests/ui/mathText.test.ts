import { describe, expect, it } from 'vitest';
import { splitMath } from '../../src/ui/math/mathSegments';
import { renderAnswer, renderMathText, renderTex } from '../../src/ui/math/renderMath';

/**
 * Every tag KaTeX produced, with its attribute names and values. Text between tags is escaped (`&lt;`), so each `<`
 * must open a tag of this shape; the caller checks that none slipped through unparsed.
 */
function tagsOf(html: string): { name: string; attributes: [string, string][] }[] {
  const tags = [...html.matchAll(/<\/?([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"]*")*)\s*\/?>/g)];
  expect(tags.length, 'every < opens a well-formed tag').toBe(html.split('<').length - 1);
  return tags.map((m) => ({
    name: m[1].toLowerCase(),
    attributes: [...m[2].matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1].toLowerCase(), a[2]] as [string, string]),
  }));
}

function expectInert(html: string): void {
  for (const tag of tagsOf(html)) {
    expect(['a', 'img', 'script', 'iframe', 'object', 'embed', 'link', 'style', 'foreignobject']).not.toContain(tag.name);
    for (const [name, value] of tag.attributes) {
      expect(name, `<${tag.name} ${name}>`).not.toMatch(/^on|^href$|^src$|^xlink:href$|^action$/);
      expect(value, `<${tag.name} ${name}="${value}">`).not.toMatch(/javascript:/i);
    }
  }
}

const text = (t: string) => ({ kind: 'text', text: t });
const math = (tex: string, display: boolean, source: string) => ({ kind: 'math', tex, display, source });

describe('splitMath: model output into text and math', () => {
  it('finds inline $…$ and \\(…\\) math between text', () => {
    expect(splitMath('So $x^2 = 4$ and \\(y > 0\\).')).toEqual([
      text('So '),
      math('x^2 = 4', false, '$x^2 = 4$'),
      text(' and '),
      math('y > 0', false, '\\(y > 0\\)'),
      text('.'),
    ]);
  });

  it('finds display $$…$$ and \\[…\\] math', () => {
    expect(splitMath('$$\\frac12$$\n\\[a+b\\]')).toEqual([
      math('\\frac12', true, '$$\\frac12$$'),
      text('\n'),
      math('a+b', true, '\\[a+b\\]'),
    ]);
  });

  it('keeps \\boxed{…} inside delimiters as part of the math', () => {
    expect(splitMath('$\\boxed{\\frac{1}{2}}$')).toEqual([math('\\boxed{\\frac{1}{2}}', false, '$\\boxed{\\frac{1}{2}}$')]);
  });

  it('treats a bare \\boxed{…} with nested braces as inline math', () => {
    expect(splitMath('The answer is \\boxed{\\frac{3}{4}}.')).toEqual([
      text('The answer is '),
      math('\\boxed{\\frac{3}{4}}', false, '\\boxed{\\frac{3}{4}}'),
      text('.'),
    ]);
  });

  it('leaves currency, escaped dollars and unclosed delimiters as text', () => {
    for (const s of [
      'It costs $5 and $10 in total.',
      'Pay \\$3 or \\$4.',
      'Unclosed $x + 1',
      'Unclosed \\(x',
      'Open \\boxed{3 forever',
      '$ x$ is not math',
    ]) {
      expect(splitMath(s), s).toEqual([text(s)]);
    }
  });

  it('does not let inline $ math run across a blank line', () => {
    expect(splitMath('a $b\n\nc$ d')).toEqual([text('a $b\n\nc$ d')]);
  });

  it('gives back exactly the input when the pieces are joined', () => {
    const s = 'x $a$ y $$b$$ \\(c\\) \\[d\\] \\boxed{e} $5 \\$6 $';
    expect(
      splitMath(s)
        .map((p) => (p.kind === 'text' ? p.text : p.source))
        .join(''),
    ).toBe(s);
  });
});

describe('renderMathText: what the page shows', () => {
  it('typesets math with KaTeX', () => {
    const pieces = renderMathText('So $\\frac{1}{2}$.');
    expect(pieces.map((p) => p.kind)).toEqual(['text', 'math', 'text']);
    const html = (pieces[1] as { html: string }).html;
    expect(html).toContain('class="katex"');
    expect(html).toContain('mfrac');
  });

  it('shows math KaTeX cannot parse as its source text, merged with the text around it', () => {
    expect(renderTex('\\frac{1}{', false)).toBeUndefined();
    expect(renderMathText('bad $\\frac{1}{$ math')).toEqual([text('bad $\\frac{1}{$ math')]);
  });

  it('never turns HTML in the output into markup: outside math it stays a text piece, inside math KaTeX escapes it', () => {
    const hostile = '<img src=x onerror=alert(1)> then $<img src=x onerror=alert(2)>$ and <script>alert(3)</script>';
    const pieces = renderMathText(hostile);
    expect(pieces[0]).toEqual(text('<img src=x onerror=alert(1)> then '));
    expect(pieces.at(-1)).toEqual(text(' and <script>alert(3)</script>'));
    const html = pieces
      .filter((p) => p.kind === 'math')
      .map((p) => p.html)
      .join('');
    expectInert(html);
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
  });

  it('renders \\href, \\url and \\htmlClass with javascript: targets as inert text, never as links or attributes', () => {
    const hostile = '$\\href{javascript:alert(1)}{click}$ $\\url{javascript:alert(2)}$ $\\htmlClass{x" onclick="alert(3)}{y}$';
    const html = renderMathText(hostile)
      .map((p) => (p.kind === 'math' ? p.html : ''))
      .join('');
    expect(html).toContain('\\href');
    expectInert(html);
  });
});

describe('renderAnswer: answers written as bare TeX', () => {
  it('typesets the whole answer as inline math', () => {
    const [piece] = renderAnswer('\\frac{\\sqrt{3}}{2}');
    expect(piece.kind).toBe('math');
    expect((piece as { html: string }).html).toContain('msqrt');
  });

  it('shows an answer KaTeX cannot parse, or an empty one, as text', () => {
    expect(renderAnswer('\\frac{1}{')).toEqual([text('\\frac{1}{')]);
    expect(renderAnswer('')).toEqual([text('')]);
  });

  it('keeps HTML in an answer inert', () => {
    const [piece] = renderAnswer('<img src=x onerror=alert(1)>');
    expectInert(piece.kind === 'math' ? piece.html : '');
  });
});

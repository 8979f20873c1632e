import { describe, expect, it } from 'vitest';
import { gradeAnswer } from '../../src/eval/grade';

/** The shortcuts that make published graders accept wrong answers (issue 7), and the right answers they reject. */
const equal = (gold: string, pred: string, mode: 'math' | 'gsm8k' = 'math') => gradeAnswer(gold, pred, { mode });

describe('grader traps: wrong answers stay wrong', () => {
  it('keeps interval ends: [0,1) is not (0,1)', () => {
    const v = equal('[0,1)', '(0,1)');
    expect(v.equal).toBe(false);
    expect(v.rule).toBe('brackets');
  });

  it('compares plain numbers exactly: 3 is not 3.0001, nor 3.00 for 3.0001', () => {
    expect(equal('3', '3.0001').equal).toBe(false);
    expect(equal('3.0001', '3').equal).toBe(false);
    expect(equal('3.0001', '3.00').equal).toBe(false);
    expect(equal('3', '3.0000000001').equal).toBe(false);
  });

  it('never truncates (a+5)(b+2) by unit stripping', () => {
    expect(equal('(a+5)(b+2)', '(+5)(b+2)').equal).toBe(false);
    expect(equal('(a+5)(b+2)', '\\boxed{(a+5)(b+2)}').equal).toBe(true);
    expect(equal('(a+5)(b+2)', '(b+2)(a+5)').equal).toBe(true);
  });

  it('tells 1-1/e from 1+1/e', () => {
    const v = equal('1 - \\frac{1}{e}', 'The answer is $1 + \\frac{1}{e}$');
    expect(v.equal).toBe(false);
    expect(v.rule).toBe('symbolic');
  });

  it('does not call distinct equations ending in "= 0" equal, nor an equation equal to its right side', () => {
    expect(equal('x + y = 0', 'x - y = 0').equal).toBe(false);
    expect(equal('a^2 + b = 0', '0').equal).toBe(false);
    expect(equal('7 = 11a+c', '11a+c').equal).toBe(false);
  });

  it('does not mangle \\left( when a unit is stripped', () => {
    expect(equal('\\left( 3, \\frac{\\pi}{2} \\right)', '(3,\\frac{\\pi}{2})').equal).toBe(true);
    expect(equal('\\left( 3, \\frac{\\pi}{2} \\right) \\text{ ft}', '(3,\\frac{\\pi}{2})').equal).toBe(true);
  });

  it('does not multiply or divide by 100 unless a percent sign says so', () => {
    expect(equal('28', '0.28').equal).toBe(false);
    expect(equal('0.28', '28').equal).toBe(false);
    expect(equal('28\\%', '0.28').rule).toBe('percent-as-fraction');
  });

  it('does not accept a short rounding for a fraction', () => {
    expect(equal('\\frac{1}{3}', '0.3').equal).toBe(false);
    expect(equal('\\frac{1}{3}', '0.33').equal).toBe(false);
    expect(equal('\\frac{1}{3}', '0.334').equal).toBe(false);
  });

  it('keeps different variables apart', () => {
    expect(equal('f(x)', 'f(y)').equal).toBe(false);
    expect(equal('x = 5', 'y = 5').equal).toBe(false);
  });

  it('keeps tuple order and set size', () => {
    expect(equal('(1,2)', '(2,1)').equal).toBe(false);
    expect(equal('1,2,3', '1,2').equal).toBe(false);
    expect(equal('(-2,1)', '-2,1').equal).toBe(false);
  });

  it('reports no answer for a MATH response with no marker, rather than guessing the last number', () => {
    const v = equal('7', 'We get 3 apples, then 7 more.');
    expect(v.equal).toBe(false);
    expect(v.rule).toBe('no-answer');
  });

  it('reads ± as both signs: ±2021 is not 2021 but is {-2021, 2021}', () => {
    expect(equal('\\pm 2021', '2021').equal).toBe(false);
    expect(equal('\\pm 2021', '\\{-2021, 2021\\}').equal).toBe(true);
  });
});

describe('grader: right answers in other forms are equal, with the deciding rule', () => {
  const cases: [string, string, string][] = [
    ['\\frac{3}{4}', '0.75', 'number-exact'],
    ['\\frac{8}{3}', '2.6667', 'number-rounded'],
    ['2\\sqrt{2}', '\\sqrt{8}', 'symbolic'],
    ['40000', '40,\\!000', 'identical'],
    ['\\text{odd}', 'odd', 'identical'],
    ['\\text{(C)}', 'C', 'choice'],
    ['\\text{Even}', 'even', 'text'],
    ['6-5i', '-5i+6', 'symbolic'],
    ['\\frac{x+2}{7}', '\\frac{x}{7}+\\frac{2}{7}', 'symbolic'],
    ['\\tan^2(y)+1', '\\sec^2(y)', 'symbolic'],
    ['[-1, -\\frac{1}{2}) \\cup (1, \\infty)', '(1,\\infty)\\cup[-1,-\\tfrac12)', 'union'],
    ['(1, \\frac{9}{2})', '(1, 4.5)', 'tuple-ordered'],
    ['\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}', '\\begin{bmatrix}1\\\\ \\frac{4}{2}\\end{bmatrix}', 'matrix'],
    ['34x+45y-20z+100=0', '-34x-45y+20z-100=0', 'equation-factor'],
    ['x \\le 5', '5 \\ge x', 'inequality'],
    ['-2 \\le x \\le 7', 'x \\in [-2,7]', 'set-of-values+identical'],
    ['3, 5, 7', '7, 3, 5', 'list-unordered'],
    ['90^\\circ', '90', 'identical'],
    ['1\\frac{4}{5}', '\\frac{9}{5}', 'number-exact'],
    ['204_5', '204_{5}', 'base-numeral'],
    ['k = 1', '1', 'assignment+number-exact'],
    ['x = 11', 'x = 5+5+1 = 11', 'assignment+identical'],
  ];
  for (const [gold, pred, rule] of cases) {
    it(`${gold}  ==  ${pred}  (${rule})`, () => {
      const v = gradeAnswer(gold, pred);
      expect(v.equal).toBe(true);
      expect(v.rule).toBe(rule);
    });
  }
});

describe('grader: GSM8K mode', () => {
  it('reads #### in the gold and the answer phrase, box or last number in the prediction', () => {
    const gold = 'She sells 16 - 3 - 4 = <<16-3-4=9>>9 eggs.\n#### 18';
    const response = 'She sells 9 eggs at $2 each, so she makes $18 every day.';
    expect(gradeAnswer(gold, response, { mode: 'gsm8k' }).pred?.method).toBe('last-number');
    expect(gradeAnswer(gold, response, { mode: 'gsm8k' }).equal).toBe(true);
    expect(gradeAnswer(gold, 'The answer is: 18', { mode: 'gsm8k' }).equal).toBe(true);
    expect(gradeAnswer(gold, 'The answer is: 1,800', { mode: 'gsm8k' }).equal).toBe(false);
  });

  it('reads thousands separators and ignores numbers glued to words', () => {
    expect(gradeAnswer('#### 1800', 'It costs $1,800 in total.', { mode: 'gsm8k' }).equal).toBe(true);
    expect(gradeAnswer('#### 2', 'AZYUK2A', { mode: 'gsm8k' }).equal).toBe(false);
  });
});

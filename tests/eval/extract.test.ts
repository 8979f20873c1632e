import { describe, expect, it } from 'vitest';
import { extractAnswer } from '../../src/eval/extract';
import { normaliseAnswer } from '../../src/eval/normalise';
import { compareExpressions } from '../../src/eval/symbolic';

describe('answer extraction', () => {
  it('takes the last \\boxed{} with nested braces, and records its span', () => {
    const text = 'First $\\boxed{1}$, then $\\boxed{\\frac{1}{\\sqrt{2}}}$.';
    const a = extractAnswer(text)!;
    expect(a).toMatchObject({ text: '\\frac{1}{\\sqrt{2}}', method: 'boxed' });
    expect(text.slice(a.start, a.end)).toBe('\\boxed{\\frac{1}{\\sqrt{2}}}');
  });

  it('reads \\fbox like \\boxed', () => {
    expect(extractAnswer('so $\\fbox{42}$')!.text).toBe('42');
  });

  it('reads an unbraced \\boxed 5 (as a few MATH solutions write it) up to the next space or "$", without a final full stop', () => {
    const text = 'so the total is $\\boxed 5$.';
    const a = extractAnswer(text)!;
    expect(a).toMatchObject({ text: '5', method: 'boxed' });
    expect(text.slice(a.start, a.end)).toBe('\\boxed 5');
    expect(extractAnswer('hence \\boxed \\frac{1}{2} holds')!.text).toBe('\\frac{1}{2}');
    expect(extractAnswer('It is \\boxed 3.5.')!.text).toBe('3.5');
    expect(extractAnswer('Put the answer in \\boxed .')).toBeNull();
  });

  it('reads "The answer is: X" (the SFT format) and Minerva\'s "Final Answer: The final answer is X. I hope it is correct."', () => {
    expect(extractAnswer('2+2=4\nThe answer is: 4')!.text).toBe('4');
    expect(extractAnswer('Final Answer: The final answer is $\\frac{2}{3}$. I hope it is correct.')!.text).toBe('$\\frac{2}{3}$');
  });

  it('takes whichever of box and answer phrase comes last', () => {
    expect(extractAnswer('$\\boxed{5}$. Then, correcting myself, the answer is 6.')!.text).toBe('6');
    expect(extractAnswer('The answer is below. We get $\\boxed{7}$.')!.text).toBe('7');
  });

  it('does not read "our answer is correct" as an answer', () => {
    expect(extractAnswer('Therefore $\\boxed{44}$. Check: so our answer is correct.')!.text).toBe('44');
  });

  it('joins adjacent boxes separated only by "and" or commas into one list, but not across other text', () => {
    expect(extractAnswer('$\\boxed{1}$ and $\\boxed{2}$')!.text).toBe('1, 2');
    expect(extractAnswer('\\boxed{1} no no no no no \\boxed{2}')!.text).toBe('2');
    expect(extractAnswer('$\\boxed{15\\frac{39}{40}}$, or $\\boxed{\\frac{639}{40}}$')!.text).toBe('\\frac{639}{40}');
  });

  it('GSM8K: #### first, then answer phrases, then the last number; MATH never guesses a number', () => {
    expect(extractAnswer('18 eggs\n#### 18', 'gsm8k')).toMatchObject({ text: '18', method: 'gsm8k-hash' });
    expect(extractAnswer('She has 3 cats and then 5 more, so 8 in all.', 'gsm8k')).toMatchObject({ text: '8', method: 'last-number' });
    expect(extractAnswer('She has 3 cats and then 5 more, so 8 in all.', 'math')).toBeNull();
  });

  it('reads a bare answer, and a short statement with one formula', () => {
    expect(extractAnswer('\\frac{3}{4}')).toMatchObject({ text: '\\frac{3}{4}', method: 'bare' });
    expect(extractAnswer('Thus $x <= 2$ is our answer.')).toMatchObject({ text: '$x <= 2$', method: 'sole-formula' });
  });
});

describe('normalisation', () => {
  const n = (s: string) => normaliseAnswer(s).text;

  it('removes notation only: \\left/\\right, \\!, dfrac, degrees, dollars, thousands separators, trailing units', () => {
    expect(n('\\left( 3, \\dfrac{\\pi}{2} \\right)')).toBe('(3,\\frac{\\pi}{2})');
    expect(n('10,\\!080')).toBe('10080');
    expect(n('\\$32,\\!348')).toBe('32348');
    expect(n('90^\\circ')).toBe('90');
    expect(n('15\\mbox{ cm}^2')).toBe('15');
    expect(n('125 miles')).toBe('125');
    expect(n('\\frac{270}7\\text{ degrees}')).toBe('\\frac{270}{7}');
  });

  it('never removes letters that are mathematics', () => {
    expect(n('(a+5)(b+2)')).toBe('(a+5)(b+2)');
    expect(n('2 \\sin b \\cos a')).toBe('2\\sin b\\cos a');
    expect(n('5 ft')).toBe('5');
    expect(n('5x ft')).toBe('5xft');
  });

  it('marks percentages instead of dividing by 100', () => {
    expect(normaliseAnswer('28\\%')).toEqual({ text: '28', percent: true });
    expect(normaliseAnswer('28 percent')).toEqual({ text: '28', percent: true });
  });
});

describe('symbolic check bounds', () => {
  it('calls an over-long or unparsable expression unknown, never equal', () => {
    const long = Array.from({ length: 200 }, (_, i) => `x^{${i}}`).join('+');
    expect(compareExpressions(long, long + '+0').verdict).toBe('unknown');
    expect(compareExpressions('\\frac{}{}', '\\frac{}{}').verdict).toBe('unknown');
  });

  it('decides by value at shared sample points, in complex arithmetic', () => {
    expect(compareExpressions('e^{i\\pi}', '-1').verdict).toBe('equal');
    expect(compareExpressions('(x+1)^2', 'x^2+2x+1').verdict).toBe('equal');
    expect(compareExpressions('(x+1)^2', 'x^2+2x+1.000001').verdict).toBe('different');
    expect(compareExpressions('\\sqrt[3]{-8}', '-2').verdict).toBe('equal');
  });
});

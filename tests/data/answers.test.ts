import { describe, expect, it } from 'vitest';
import { answerLine, gsm8kAnswer, lastBoxed } from '../../src/data/answers';

describe('final answers as the datasets state them', () => {
  it('MATH: the last \\boxed{} wins, nested braces and escaped braces included', () => {
    expect(lastBoxed('First $\\boxed{1}$, then $\\boxed{\\frac{1}{\\sqrt{2}}}$.')).toBe('\\frac{1}{\\sqrt{2}}');
    expect(lastBoxed('The set is $\\boxed{\\{1, 2\\}}$')).toBe('\\{1, 2\\}');
    expect(lastBoxed('so $\\fbox{7}$')).toBe('7');
    expect(lastBoxed('so the answer is $\\boxed 5$.')).toBe('5');
  });

  it('MATH: no \\boxed, or one whose braces never close, gives no answer', () => {
    expect(lastBoxed('no box here')).toBeUndefined();
    expect(lastBoxed('cut off $\\boxed{\\frac{1}{2}')).toBeUndefined();
  });

  it('GSM8K: the value after the last ####, thousands separators removed', () => {
    expect(gsm8kAnswer('3 * 6 = 18\n#### 18')).toBe('18');
    expect(gsm8kAnswer('big\n#### 1,250,000')).toBe('1250000');
    expect(gsm8kAnswer('#### -3.5')).toBe('-3.5');
    expect(gsm8kAnswer('no marker')).toBeUndefined();
    expect(gsm8kAnswer('empty marker ####  ')).toBeUndefined();
  });

  it('MetaMathQA: the text after the last "The answer is", colon optional, final period dropped', () => {
    expect(answerLine('Work.\nThe answer is: 42')).toBe('42');
    expect(answerLine('The answer is: 1. Then more.\nThe answer is: \\frac{3}{4}.')).toBe('\\frac{3}{4}');
    expect(answerLine('so The answer is 7')).toBe('7');
    expect(answerLine('no answer line')).toBeUndefined();
  });
});

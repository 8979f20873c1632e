/**
 * Final-answer extraction for dataset statistics and the "The answer is" line: only the formats the
 * datasets themselves use. The grader's extraction (src/eval/) is separate and more forgiving.
 */
import { ANSWER_PREFIX } from './sftTemplate';

/** GSM8K: the text after the last "#### " marker, with thousands separators removed ("1,000" -> "1000"). */
export function gsm8kAnswer(solution: string): string | undefined {
  const at = solution.lastIndexOf('####');
  if (at < 0) return undefined;
  const value = solution
    .slice(at + 4)
    .trim()
    .replace(/(\d),(?=\d{3}\b)/g, '$1');
  return value === '' ? undefined : value;
}

/**
 * MATH: the contents of the last `\boxed{...}` (or `\fbox{...}`), braces matched so nested groups such as
 * `\boxed{\frac{1}{2}}` come back whole. A `\boxed` whose braces never close yields undefined.
 */
export function lastBoxed(solution: string): string | undefined {
  const boxed = solution.lastIndexOf('\\boxed');
  const fbox = solution.lastIndexOf('\\fbox');
  if (boxed < 0 && fbox < 0) return undefined;
  let i = boxed > fbox ? boxed + '\\boxed'.length : fbox + '\\fbox'.length;
  if (solution[i] !== '{') {
    // "\boxed 5" (no braces) appears in some solutions: the answer runs to the next space or "$".
    const bare = /^ ([^\s$]+)/.exec(solution.slice(i));
    return bare ? bare[1] : undefined;
  }
  const start = ++i;
  for (let depth = 1; i < solution.length; i++) {
    const c = solution[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return solution.slice(start, i).trim();
  }
  return undefined;
}

/** MetaMathQA / Skywork-MathQA: the text after the last "The answer is:" (colon optional), without a final period. */
export function answerLine(response: string): string | undefined {
  const marker = ANSWER_PREFIX.trimEnd().replace(/:$/, '');
  const at = response.lastIndexOf(marker);
  if (at < 0) return undefined;
  const value = response
    .slice(at + marker.length)
    .replace(/^:?\s*/, '')
    .trim()
    .replace(/\.$/, '')
    .trim();
  return value === '' ? undefined : value;
}

import { sftEvalPrompt } from '../data/sftTemplate';

/**
 * Evaluation prompts. `sft-zero-shot` is the SFT template the lab trains with (chain of thought, answer on a last
 * "The answer is: X" line or in `\boxed{}`); `minerva-4shot` follows Minerva's few-shot layout ("Problem:",
 * "Solution:", "Final Answer: The final answer is X. I hope it is correct."). The four exemplars below are our
 * own problems, written for this file; the prompt text is saved with every result.
 */
export type PromptStyle = 'sft-zero-shot' | 'minerva-4shot';

export const PROMPT_STYLES: PromptStyle[] = ['sft-zero-shot', 'minerva-4shot'];

interface Exemplar {
  problem: string;
  solution: string;
  answer: string;
}

const MINERVA_EXEMPLARS: Exemplar[] = [
  {
    problem: 'Find all real $x$ such that $\\frac{x+3}{x-1} \\ge 0$. Express your answer in interval notation.',
    solution:
      'The fraction is zero at $x=-3$ and undefined at $x=1$. For $x<-3$ both numerator and denominator are negative, so the fraction is positive. For $-3<x<1$ the numerator is positive and the denominator negative, so it is negative. For $x>1$ both are positive. Including the zero at $x=-3$ and excluding $x=1$, the solution set is $(-\\infty,-3]\\cup(1,\\infty)$.',
    answer: '$(-\\infty,-3]\\cup(1,\\infty)$',
  },
  {
    problem: 'If $\\log_2 (3y+2) = 5$, what is $y$?',
    solution: 'Rewriting in exponential form, $3y+2 = 2^5 = 32$, so $3y = 30$ and $y = 10$.',
    answer: '$10$',
  },
  {
    problem:
      'A bag holds 4 green marbles and 6 yellow marbles. Two marbles are drawn without replacement. What is the probability that both are green? Express your answer as a common fraction.',
    solution:
      'The first marble is green with probability $\\frac{4}{10}$. Given that, the second is green with probability $\\frac{3}{9}$. The probability that both are green is $\\frac{4}{10}\\cdot\\frac{3}{9} = \\frac{12}{90} = \\frac{2}{15}$.',
    answer: '$\\frac{2}{15}$',
  },
  {
    problem: 'What is the remainder when $7^{100}$ is divided by $6$?',
    solution: 'Since $7 \\equiv 1 \\pmod 6$, every power of $7$ is congruent to $1^{100} = 1$ modulo $6$. The remainder is $1$.',
    answer: '$1$',
  },
];

function minervaBlock(problem: string): string {
  return `Problem:\n${problem}\n\nSolution:`;
}

function minervaPrompt(problem: string): string {
  const shots = MINERVA_EXEMPLARS.map(
    (e) => `${minervaBlock(e.problem)}\n${e.solution}\nFinal Answer: The final answer is ${e.answer}. I hope it is correct.`,
  );
  return `${shots.join('\n\n')}\n\n${minervaBlock(problem)}`;
}

export function buildPrompt(problem: string, style: PromptStyle): string {
  return style === 'minerva-4shot' ? minervaPrompt(problem) : sftEvalPrompt(problem);
}

/**
 * Where a completion should stop for a prompt style: a few-shot model would otherwise go on to write the next
 * "Problem:". Applied to generated text before grading.
 */
export function stopSequences(style: PromptStyle): string[] {
  return style === 'minerva-4shot' ? ['\n\nProblem:', 'I hope it is correct.'] : ['\n\n### Instruction:', '\n\nBelow is an instruction'];
}

/** Cuts a completion at the first stop sequence (keeping "I hope it is correct." itself). */
export function truncateAtStop(text: string, style: PromptStyle): string {
  let end = text.length;
  for (const stop of stopSequences(style)) {
    const at = text.indexOf(stop);
    if (at >= 0) end = Math.min(end, stop.startsWith('I hope') ? at + stop.length : at);
  }
  return text.slice(0, end);
}

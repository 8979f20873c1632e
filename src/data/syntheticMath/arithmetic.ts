/**
 * Bare arithmetic and one-step equations: the skills the bundled base model is pretrained on. Each writes its
 * computation the same way ("$a + b = c$"), which is the step word problems reuse.
 */
import type { Draft, Pick } from './problem';

type Op = 'add' | 'sub';

/** a op b with a >= b for subtraction, so every answer is a whole number. */
function operands(pick: Pick, op: Op, lo: number, hi: number, bLo = lo, bHi = hi): [number, number] {
  const a = pick(lo, hi);
  const b = pick(bLo, op === 'sub' ? Math.min(bHi, a) : bHi);
  return [a, b];
}

export const symbol = (op: Op): string => (op === 'add' ? '+' : '-');
export const apply = (op: Op, a: number, b: number): number => (op === 'add' ? a + b : a - b);

function expression(pick: Pick, subject: string, level: number, lo: number, hi: number, bLo?: number, bHi?: number): Draft {
  const op: Op = pick(0, 1) === 0 ? 'add' : 'sub';
  const [a, b] = operands(pick, op, lo, hi, bLo, bHi);
  const c = apply(op, a, b);
  return {
    subject,
    level,
    question: `What is $${a} ${symbol(op)} ${b}$?`,
    reasoning: `$${a} ${symbol(op)} ${b} = ${c}$.`,
    answer: String(c),
    computation: `${op} ${a} ${b}`,
  };
}

/** Level 1: one-digit sums and differences. */
export const oneDigit = (pick: Pick) => expression(pick, 'Prealgebra', 1, 0, 9);
/** Level 2: two-digit numbers and a one- or two-digit second term. */
export const twoDigit = (pick: Pick) => expression(pick, 'Prealgebra', 2, 10, 99, 1, 99);
/** Level 3: three-digit numbers. */
export const threeDigit = (pick: Pick) => expression(pick, 'Prealgebra', 3, 100, 999, 10, 999);

const SUM_QUESTIONS = [
  (a: number, b: number) => `What is the sum of ${a} and ${b}?`,
  (a: number, b: number) => `What is ${a} plus ${b}?`,
  (a: number, b: number) => `Add ${a} and ${b}.`,
  (a: number, b: number) => `What do you get when you add ${b} to ${a}?`,
];
const DIFFERENCE_QUESTIONS = [
  (a: number, b: number) => `What is the difference between ${a} and ${b}?`,
  (a: number, b: number) => `What is ${a} minus ${b}?`,
  (a: number, b: number) => `Subtract ${b} from ${a}.`,
  (a: number, b: number) => `What do you get when you take ${b} from ${a}?`,
];

/**
 * Level 2, in words: the operation is named, not written, so the model writes the expression itself before
 * computing it ("We add: $13 + 7 = 20$."), the step a word problem's solution takes.
 */
export function inWords(pick: Pick): Draft {
  const op: Op = pick(0, 1) === 0 ? 'add' : 'sub';
  const [a, b] = operands(pick, op, 2, 40);
  const questions = op === 'add' ? SUM_QUESTIONS : DIFFERENCE_QUESTIONS;
  return {
    subject: 'Prealgebra',
    level: 2,
    question: questions[pick(0, questions.length - 1)](a, b),
    reasoning: `${op === 'add' ? 'We add' : 'We subtract'}: $${a} ${symbol(op)} ${b} = ${apply(op, a, b)}$.`,
    answer: String(apply(op, a, b)),
    computation: `${op} ${a} ${b}`,
  };
}

/** x + a = b (level 2) or x - a = b (level 3), solved by undoing the operation. */
export function oneStepEquation(pick: Pick): Draft {
  const plus = pick(0, 1) === 0;
  const a = pick(1, 60);
  const x = pick(plus ? 0 : 1, 60);
  if (plus) {
    const b = x + a;
    return {
      subject: 'Algebra',
      level: 2,
      question: `Solve for $x$: $x + ${a} = ${b}$.`,
      reasoning: `Subtract ${a} from both sides: $${b} - ${a} = ${x}$.`,
      answer: String(x),
      computation: `sub ${b} ${a}`,
    };
  }
  const b = x;
  const solution = b + a;
  return {
    subject: 'Algebra',
    level: 3,
    question: `Solve for $x$: $x - ${a} = ${b}$.`,
    reasoning: `Add ${a} to both sides: $${b} + ${a} = ${solution}$.`,
    answer: String(solution),
    computation: `add ${b} ${a}`,
  };
}

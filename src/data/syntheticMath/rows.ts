/** Generated problems written in the layouts the lab reads: MetaMathQA rows for training, MATH-500 rows for evaluation. */
import { sftResponse } from '../sftTemplate';
import type { SyntheticProblem } from './problem';

export interface MetaMathRow {
  query: string;
  response: string;
  type: string;
  original_question: string;
}

export interface MathProblemRow {
  problem: string;
  solution: string;
  answer: string;
  subject: string;
  level: number;
  unique_id: string;
}

export function metaMathRow(p: SyntheticProblem): MetaMathRow {
  return { query: p.question, response: sftResponse(p.reasoning, p.answer), type: p.skill, original_question: p.question };
}

/** `index` numbers the problem within its skill, for a stable unique_id ("synthetic/word-one-step/3.json"). */
export function mathProblemRow(p: SyntheticProblem, index: number): MathProblemRow {
  return {
    problem: p.question,
    solution: `${p.reasoning} The answer is $\\boxed{${p.answer}}$.`,
    answer: p.answer,
    subject: p.subject,
    level: p.level,
    unique_id: `synthetic/${p.skill}/${index}.json`,
  };
}

export function jsonLines(rows: readonly object[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/**
 * A generated math problem: what a template made, before it is written as a training row (MetaMathQA layout)
 * or an evaluation problem (MATH-500 layout).
 *
 * `computation` names the arithmetic the solution performs ("add 23 45", "sub 68 12", "add 23 45 sub 12").
 * The train/test split is a function of it alone, so no test problem's arithmetic appears in any training row,
 * whatever the skill or wording around it (see split.ts).
 */
export interface SyntheticProblem {
  skill: string;
  /** MATH-style subject ("Prealgebra", "Algebra", "Word problems"). */
  subject: string;
  /** MATH-style difficulty, 1 (easiest) to 5. */
  level: number;
  question: string;
  /** The worked solution, without the final answer line. */
  reasoning: string;
  answer: string;
  computation: string;
}

/** An integer in [lo, hi], from the generator's seeded stream. */
export type Pick = (lo: number, hi: number) => number;

/** One of `items`, from the generator's seeded stream. */
export function choose<T>(pick: Pick, items: readonly T[]): T {
  return items[pick(0, items.length - 1)];
}

/** What a skill's template makes; the generator adds the skill's name. */
export type Draft = Omit<SyntheticProblem, 'skill'>;

/**
 * Seeded problem sets from the skills: the same (skills, split, count, seed) always gives the same problems.
 * Skills take turns, so a set has about as many problems of each; questions never repeat within a set.
 */
import { seededRandom } from '../../util/random';
import { wordsOf } from '../textKeys';
import type { Pick, SyntheticProblem } from './problem';
import { SKILLS, type SkillName } from './skills';
import { splitOf, type Split } from './split';

export interface ProblemSetSpec {
  skills: readonly SkillName[];
  split: Split;
  /** Problems per skill. */
  perSkill: number;
  seed: number;
  /** Allow the same question twice (pretraining corpora larger than a skill's distinct problems). */
  repeats?: boolean;
}

/** Draws a skill's problem until its computation falls in the wanted split; this many draws is a bug. */
const MAX_DRAWS_PER_PROBLEM = 10_000;

export function generateProblems(spec: ProblemSetSpec): SyntheticProblem[] {
  const next = seededRandom(spec.seed);
  const pick: Pick = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const seen = new Set<string>();
  const out: SyntheticProblem[] = [];
  for (let i = 0; i < spec.perSkill; i++) {
    for (const skill of spec.skills) {
      for (let draws = 0; ; draws++) {
        if (draws === MAX_DRAWS_PER_PROBLEM) {
          throw new RangeError(
            `skill ${skill} has no more distinct ${spec.split} problems after ${out.length} (asked for ${spec.perSkill} per skill)`,
          );
        }
        const problem: SyntheticProblem = { skill, ...SKILLS[skill](pick) };
        if (splitOf(problem.computation) !== spec.split) continue;
        const key = wordsOf(problem.question).join(' ');
        if (!spec.repeats && seen.has(key)) continue;
        seen.add(key);
        out.push(problem);
        break;
      }
    }
  }
  return out;
}

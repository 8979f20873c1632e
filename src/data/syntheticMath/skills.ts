/** Every skill the generator knows, by name, and the groups the bundled model, its demo and the sample problems use. */
import { inWords, oneDigit, oneStepEquation, threeDigit, twoDigit } from './arithmetic';
import type { Draft, Pick } from './problem';
import { wordProblemSkills } from './wordProblems';

export const SKILLS = {
  'add-sub-1-digit': oneDigit,
  'add-sub-2-digit': twoDigit,
  'add-sub-3-digit': threeDigit,
  'add-sub-in-words': inWords,
  'one-step-equation': oneStepEquation,
  'read-amount': wordProblemSkills.readAmount,
  'word-one-step': wordProblemSkills.oneStep,
  'word-two-people': wordProblemSkills.twoPeople,
  'word-two-steps': wordProblemSkills.twoSteps,
} satisfies Record<string, (pick: Pick) => Draft>;

export type SkillName = keyof typeof SKILLS;

/** What the bundled base model is pretrained on (the train split of these only). */
export const BASE_SKILLS: SkillName[] = [
  'add-sub-1-digit',
  'add-sub-2-digit',
  'add-sub-3-digit',
  'add-sub-in-words',
  'one-step-equation',
  'read-amount',
];

/** What the demo's LoRA adapter learns: one-step word problems, which the base model never saw. */
export const DEMO_SKILLS: SkillName[] = ['word-one-step', 'word-two-people'];

/** Word problems of two steps: among the sample problems (level 5), taught by nothing the lab bundles. */
export const BEYOND_DEMO_SKILLS: SkillName[] = ['word-two-steps'];

export const ALL_SKILLS = Object.keys(SKILLS) as SkillName[];

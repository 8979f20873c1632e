export type { SyntheticProblem } from './problem';
export { generateProblems, type ProblemSetSpec } from './generate';
export { ALL_SKILLS, BASE_SKILLS, BEYOND_DEMO_SKILLS, DEMO_SKILLS, SKILLS, type SkillName } from './skills';
export { splitOf, TEST_PERCENT, type Split } from './split';
export { jsonLines, mathProblemRow, metaMathRow, type MathProblemRow, type MetaMathRow } from './rows';

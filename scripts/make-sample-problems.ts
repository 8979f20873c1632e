/**
 * Writes public/samples/problems.jsonl: the lab's embedded evaluation set in MATH-500 format (problem, solution
 * ending in \boxed{}, answer, subject, level, unique_id), the held-out (test) split of every skill of
 * src/data/syntheticMath: a dozen of each skill the bundled model was pretrained on (levels 1-3) and enough
 * word problems (level 4, the demo's skills; level 5, two-step ones) for a comparison with statistical power.
 *
 *   npx tsx scripts/make-sample-problems.ts          # (re)write the file
 *   npx tsx scripts/make-sample-problems.ts --check  # exit 1 if the file differs from the generator's output
 */
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './lib/generatedFile';
import {
  BASE_SKILLS,
  BEYOND_DEMO_SKILLS,
  DEMO_SKILLS,
  generateProblems,
  jsonLines,
  mathProblemRow,
  type MathProblemRow,
  type SkillName,
} from '../src/data/syntheticMath';

export const SAMPLE_PROBLEMS_PATH = fileURLToPath(new URL('../public/samples/problems.jsonl', import.meta.url));
export const SAMPLE_PROBLEMS_SEED = 20240707;
/** Problems of each base skill: the one-digit skill has only about 15 held-out computations. */
export const BASE_PER_SKILL = 12;
/**
 * Word problems of each skill: the demo's two (level 4, 160: with the 72 base-skill problems enough for McNemar's
 * test to see a 20-point gain) and two-step ones (level 5, 80: what the demo does not teach).
 */
export const DEMO_PER_SKILL = 80;

export function makeSampleProblems(seed = SAMPLE_PROBLEMS_SEED): MathProblemRow[] {
  const groups: [readonly SkillName[], number][] = [
    [BASE_SKILLS, BASE_PER_SKILL],
    [[...DEMO_SKILLS, ...BEYOND_DEMO_SKILLS], DEMO_PER_SKILL],
  ];
  const rows: MathProblemRow[] = [];
  const perSkill = new Map<string, number>();
  for (const [g, [skills, count]] of groups.entries()) {
    for (const p of generateProblems({ skills, split: 'test', perSkill: count, seed: seed + g })) {
      const index = (perSkill.get(p.skill) ?? 0) + 1;
      perSkill.set(p.skill, index);
      rows.push(mathProblemRow(p, index));
    }
  }
  return rows;
}

export function sampleProblemsText(seed = SAMPLE_PROBLEMS_SEED): string {
  return jsonLines(makeSampleProblems(seed));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = sampleProblemsText();
  writeOrCheck(SAMPLE_PROBLEMS_PATH, text, `${text.trim().split('\n').length} problems`);
}

/**
 * Writes public/samples/word-problems.jsonl: the demo's training shard, one-step word problems (DEMO_SKILLS) from
 * the train split of src/data/syntheticMath in MetaMathQA's layout ("The answer is: X"). The bundled model never saw a word
 * problem; its arithmetic is what they need. One row in seven rehearses the skills it has (arithmetic,
 * equations, reading), which keeps the adapter from trading them away. Each response starts where the lab's
 * evaluation prompt ends ("Let's think step by step."), so a small model trains on the text it is asked for.
 * Deterministic for its seed; a test checks the committed file.
 *
 *   npx tsx scripts/make-demo-shard.ts [--check]
 */
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './lib/generatedFile';
import { BASE_SKILLS, DEMO_SKILLS, generateProblems, jsonLines, metaMathRow } from '../src/data/syntheticMath';
import { seededRandom } from '../src/util/random';

export const DEMO_SHARD_PATH = fileURLToPath(new URL('../public/samples/word-problems.jsonl', import.meta.url));
export const DEMO_SHARD_SEED = 20240709;
export const DEMO_SHARD_PER_SKILL = 1000;
/** Rows of each base skill (the one-digit skill has about 90 distinct ones): 6 x 80 of 2,480 rows. */
export const REHEARSAL_PER_SKILL = 80;
const EVAL_PROMPT_END = "Let's think step by step. ";

export function demoShardText(seed = DEMO_SHARD_SEED): string {
  const words = generateProblems({ skills: DEMO_SKILLS, split: 'train', perSkill: DEMO_SHARD_PER_SKILL, seed });
  const rehearsal = generateProblems({ skills: BASE_SKILLS, split: 'train', perSkill: REHEARSAL_PER_SKILL, seed: seed + 1 });
  const next = seededRandom(seed);
  const rows = [...words, ...rehearsal].map((p) => ({ row: metaMathRow(p), order: next() }));
  rows.sort((a, b) => a.order - b.order);
  return jsonLines(rows.map(({ row }) => ({ ...row, response: EVAL_PROMPT_END + row.response })));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = demoShardText();
  writeOrCheck(DEMO_SHARD_PATH, text, `${text.trim().split('\n').length} rows`);
}

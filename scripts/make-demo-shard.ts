/**
 * Writes public/samples/word-problems.jsonl: the demo's training shard, word problems from the train split of
 * src/data/syntheticMath in MetaMathQA's layout ("The answer is: X"). The bundled model never saw a word
 * problem; its arithmetic is what they need. Deterministic for its seed; a test checks the committed file.
 *
 *   npx tsx scripts/make-demo-shard.ts [--check]
 */
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './lib/generatedFile';
import { DEMO_SKILLS, generateProblems, jsonLines, metaMathRow } from '../src/data/syntheticMath';

export const DEMO_SHARD_PATH = fileURLToPath(new URL('../public/samples/word-problems.jsonl', import.meta.url));
export const DEMO_SHARD_SEED = 20240709;
export const DEMO_SHARD_PER_SKILL = 1000;

export function demoShardText(seed = DEMO_SHARD_SEED): string {
  return jsonLines(generateProblems({ skills: DEMO_SKILLS, split: 'train', perSkill: DEMO_SHARD_PER_SKILL, seed }).map(metaMathRow));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = demoShardText();
  writeOrCheck(DEMO_SHARD_PATH, text, `${text.trim().split('\n').length} rows`);
}

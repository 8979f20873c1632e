/**
 * Writes public/samples/word-problems.jsonl: the demo's training shard, word problems from the train split of
 * src/data/syntheticMath in MetaMathQA's layout ("The answer is: X"). The bundled model never saw a word
 * problem; its arithmetic is what they need. Deterministic for its seed; a test checks the committed file.
 *
 *   npx tsx scripts/make-demo-shard.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEMO_SKILLS, generateProblems, jsonLines, metaMathRow } from '../src/data/syntheticMath';

export const DEMO_SHARD_PATH = fileURLToPath(new URL('../public/samples/word-problems.jsonl', import.meta.url));
export const DEMO_SHARD_SEED = 20240709;
export const DEMO_SHARD_PER_SKILL = 1000;

export function demoShardText(seed = DEMO_SHARD_SEED): string {
  return jsonLines(generateProblems({ skills: DEMO_SKILLS, split: 'train', perSkill: DEMO_SHARD_PER_SKILL, seed }).map(metaMathRow));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = demoShardText();
  if (process.argv.includes('--check')) {
    const same = readFileSync(DEMO_SHARD_PATH, 'utf8') === text;
    console.log(same ? 'public/samples/word-problems.jsonl is up to date' : 'public/samples/word-problems.jsonl differs from the generator');
    process.exit(same ? 0 : 1);
  }
  writeFileSync(DEMO_SHARD_PATH, text);
  console.log(`wrote ${text.trim().split('\n').length} rows to ${DEMO_SHARD_PATH}`);
}

/**
 * A large MetaMathQA-layout shard from the synthetic math generator, with duplicates and test-set leaks planted at
 * known lines, and the evaluation set they leak from: the input of `scripts/rows-2m5.ts` and, at a few thousand
 * rows, of the streamed-rows tests. The same spec always gives the same bytes.
 *
 * Each generated row is two word problems of the train split (so rows are long and almost never alike by chance);
 * the evaluation problems are of the test split, whose computations no generated row uses (syntheticMath/split.ts).
 * Planted, each at a random line after its original:
 * - exact duplicates: an earlier row again, verbatim or with its case and spacing changed;
 * - near duplicates: an earlier row with its punctuation and `$` signs changed (the same words, another text);
 * - leaks: a row whose problem is an evaluation problem, verbatim or inside a longer problem.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { seededRandom } from '../../src/util/random';
import { SKILLS, splitOf, mathProblemRow, metaMathRow, type SkillName, type SyntheticProblem } from '../../src/data/syntheticMath';
import type { Pick } from '../../src/data/syntheticMath/problem';

export interface PlantedShardSpec {
  /** Lines of the shard, planted ones included. */
  rows: number;
  exactDuplicates: number;
  nearDuplicates: number;
  leaks: number;
  evalProblems: number;
  seed: number;
}

/** Where each planted row is (1-based lines, as the lab reports JSON Lines) and the line of what it copies. */
export interface PlantedKey {
  exact: { line: number; of: number }[];
  near: { line: number; of: number }[];
  /** `problem`: the index of the evaluation problem it holds. */
  leaks: { line: number; problem: number }[];
}

const ROW_SKILLS: SkillName[] = ['word-one-step', 'word-two-people', 'word-two-steps'];

function drawer(seed: number): { pick: Pick; problem: (split: 'train' | 'test') => SyntheticProblem } {
  const next = seededRandom(seed);
  const pick: Pick = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  return {
    pick,
    problem(split) {
      for (;;) {
        const skill = ROW_SKILLS[pick(0, ROW_SKILLS.length - 1)];
        const p: SyntheticProblem = { skill, ...SKILLS[skill](pick) };
        if (splitOf(p.computation) === split) return p;
      }
    },
  };
}

function joined(a: SyntheticProblem, b: SyntheticProblem): SyntheticProblem {
  return {
    ...a,
    skill: `${a.skill}+${b.skill}`,
    question: `${a.question} Also: ${b.question}`,
    reasoning: `${a.reasoning} Then: ${b.reasoning}`,
    answer: `${a.answer} and ${b.answer}`,
  };
}

/** The same words in another text: punctuation swapped and math delimiters dropped. */
function reformatted(line: string): string {
  const row = JSON.parse(line) as Record<string, string>;
  const change = (s: string) => s.replaceAll('$', '').replaceAll('?', ' ?').replaceAll('. ', '; ');
  return JSON.stringify({ ...row, query: change(row.query), response: change(row.response) });
}

/** Case and spacing changed: the normalised text, hence the exact key, is the same. */
function respaced(line: string, variant: number): string {
  if (variant % 2 === 0) return line;
  const row = JSON.parse(line) as Record<string, string>;
  return JSON.stringify({ ...row, query: `  ${row.query.toUpperCase().replaceAll(' ', '  ')} ` });
}

/** Distinct random lines in [first, last], ascending. */
function distinctLines(pick: Pick, count: number, first: number, last: number): number[] {
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(pick(first, last));
  return [...chosen].sort((a, b) => a - b);
}

/** The evaluation problems (MATH-500 layout) the leaks come from. */
export function plantedEvalProblems(spec: PlantedShardSpec): SyntheticProblem[] {
  const { problem } = drawer(spec.seed ^ 0x5eed);
  return Array.from({ length: spec.evalProblems }, () => problem('test'));
}

export function plantedEvalSetText(spec: PlantedShardSpec): string {
  return plantedEvalProblems(spec)
    .map((p, i) => JSON.stringify(mathProblemRow(p, i)))
    .join('\n')
    .concat('\n');
}

/**
 * Calls `write` with the shard's lines in order (each ending in "\n") and returns where the planted rows are.
 * Originals are remembered only until copied, so memory stays small for millions of rows.
 */
export async function writePlantedShard(spec: PlantedShardSpec, write: (line: string) => Promise<void> | void): Promise<PlantedKey> {
  const planted = spec.exactDuplicates + spec.nearDuplicates + spec.leaks;
  if (planted * 2 > spec.rows) throw new RangeError(`${planted} planted rows in a shard of ${spec.rows}: plant at most half`);
  const { pick, problem } = drawer(spec.seed);
  const evalProblems = plantedEvalProblems(spec);
  // Planted rows sit in the later 90% of the file; each copy's original is an earlier generated line.
  const plantedLines = distinctLines(pick, planted, Math.ceil(spec.rows / 10) + 1, spec.rows);
  const kinds = new Map<number, 'exact' | 'near' | 'leak'>();
  const order = plantedLines.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = pick(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  order.forEach((line, i) =>
    kinds.set(line, i < spec.exactDuplicates ? 'exact' : i < spec.exactDuplicates + spec.nearDuplicates ? 'near' : 'leak'),
  );
  // Each copy's original: a generated (not planted) line before it.
  const originals = new Map<number, number>();
  const wanted = new Map<number, number[]>();
  for (const line of plantedLines) {
    if (kinds.get(line) === 'leak') continue;
    let of: number;
    do of = pick(1, line - 1);
    while (kinds.has(of));
    originals.set(line, of);
    wanted.set(of, [...(wanted.get(of) ?? []), line]);
  }
  const key: PlantedKey = { exact: [], near: [], leaks: [] };
  const held = new Map<number, string>();
  for (let line = 1; line <= spec.rows; line++) {
    const kind = kinds.get(line);
    let text: string;
    if (kind === 'exact' || kind === 'near') {
      const of = originals.get(line)!;
      const original = held.get(of)!;
      text = kind === 'exact' ? respaced(original, line) : reformatted(original);
      key[kind].push({ line, of });
      const rest = wanted.get(of)!.filter((l) => l !== line);
      if (rest.length === 0) held.delete(of);
      wanted.set(of, rest);
    } else if (kind === 'leak') {
      const index = pick(0, evalProblems.length - 1);
      const leaked = evalProblems[index];
      text = JSON.stringify(metaMathRow(line % 2 === 0 ? leaked : joined(problem('train'), leaked)));
      key.leaks.push({ line, problem: index });
    } else {
      text = JSON.stringify(metaMathRow(joined(problem('train'), problem('train'))));
    }
    if (wanted.has(line)) held.set(line, text);
    await write(`${text}\n`);
  }
  return key;
}

/** Writes the shard to `path` (streamed: a 2.5M-row shard is over a gigabyte). */
export async function writePlantedShardFile(spec: PlantedShardSpec, path: string): Promise<PlantedKey> {
  const out = createWriteStream(path);
  let pending: string[] = [];
  let bytes = 0;
  const flush = async () => {
    if (!out.write(pending.join(''))) await once(out, 'drain');
    pending = [];
    bytes = 0;
  };
  const key = await writePlantedShard(spec, async (line) => {
    pending.push(line);
    bytes += line.length;
    if (bytes > 1 << 20) await flush();
  });
  await flush();
  out.end();
  await once(out, 'finish');
  return key;
}

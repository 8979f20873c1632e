import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BASE_PER_SKILL,
  DEMO_PER_SKILL,
  SAMPLE_PROBLEMS_PATH,
  makeSampleProblems,
  sampleProblemsText,
} from '../../scripts/make-sample-problems';
import { BASE_SKILLS, BEYOND_DEMO_SKILLS, DEMO_SKILLS } from '../../src/data/syntheticMath';
import { parseBenchmark } from '../../src/eval/benchmarks';
import { gradeAnswer } from '../../src/eval/grade';
import { DEMO_SHARD_PATH, demoShardText } from '../../scripts/make-demo-shard';

describe('the embedded sample problem set (public/samples/problems.jsonl)', () => {
  const committed = readFileSync(SAMPLE_PROBLEMS_PATH, 'utf8');

  it("is exactly the generator's output (rerun `npx tsx scripts/make-sample-problems.ts` after changing it)", () => {
    expect(committed).toBe(sampleProblemsText());
  });

  it('loads as a MATH-500-format benchmark over four subjects and five levels, with unique ids', () => {
    const problems = parseBenchmark(committed, 'problems.jsonl');
    expect(problems.every((p) => p.benchmark === 'math500')).toBe(true);
    expect(new Set(problems.map((p) => p.id)).size).toBe(problems.length);
    expect(new Set(problems.map((p) => p.subject))).toEqual(new Set(['Prealgebra', 'Algebra', 'Reading', 'Word problems']));
    expect(new Set(problems.map((p) => p.level))).toEqual(new Set([1, 2, 3, 4, 5]));
  });

  it('holds a dozen problems of each skill the base model learned, 160 word problems the demo teaches (level 4) and 80 it does not (level 5)', () => {
    const problems = parseBenchmark(committed, 'problems.jsonl');
    const words = problems.filter((p) => p.subject === 'Word problems');
    expect(words.filter((p) => p.level === 4)).toHaveLength(DEMO_SKILLS.length * DEMO_PER_SKILL);
    expect(words.filter((p) => p.level === 5)).toHaveLength(BEYOND_DEMO_SKILLS.length * DEMO_PER_SKILL);
    expect(words).toHaveLength((DEMO_SKILLS.length + BEYOND_DEMO_SKILLS.length) * DEMO_PER_SKILL);
    expect(problems.filter((p) => p.subject !== 'Word problems')).toHaveLength(BASE_SKILLS.length * BASE_PER_SKILL);
  });

  it('has every solution grade equal to its own answer, through the boxed answer', () => {
    for (const p of makeSampleProblems()) {
      const v = gradeAnswer(p.answer, p.solution);
      expect(v.pred?.method, p.unique_id).toBe('boxed');
      expect(v.equal, `${p.unique_id}: ${v.reason}`).toBe(true);
    }
  });

  it('changes with the seed', () => {
    expect(sampleProblemsText(1)).not.toBe(sampleProblemsText());
  });
});

describe('the demo shard (public/samples/word-problems.jsonl)', () => {
  it("is exactly the generator's output (rerun `npx tsx scripts/make-demo-shard.ts` after changing it)", () => {
    expect(readFileSync(DEMO_SHARD_PATH, 'utf8')).toBe(demoShardText());
  });

  it('shares no one-step computation with the sample problems, its held-out set', () => {
    // Two-step problems are held out as a whole; their single steps may be anywhere.
    const oneStep = (solution: string) => (solution.includes('Then') ? [] : (solution.match(/\$\d+ [+-] \d+ = /g) ?? []));
    const heldOut = new Set(makeSampleProblems().flatMap((p) => oneStep(p.solution)));
    expect(heldOut.size).toBeGreaterThan(50);
    const rows = demoShardText()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { response: string });
    expect(rows.flatMap((r) => oneStep(r.response)).filter((e) => heldOut.has(e))).toEqual([]);
  });
});

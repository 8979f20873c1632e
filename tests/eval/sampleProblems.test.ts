import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SAMPLE_PROBLEMS_PATH, makeSampleProblems, sampleProblemsText } from '../../scripts/make-sample-problems';
import { parseBenchmark } from '../../src/eval/benchmarks';
import { gradeAnswer } from '../../src/eval/grade';

describe('the embedded sample problem set (public/samples/problems.jsonl)', () => {
  const committed = readFileSync(SAMPLE_PROBLEMS_PATH, 'utf8');

  it('is exactly the generator\'s output (rerun `npx tsx scripts/make-sample-problems.ts` after changing it)', () => {
    expect(committed).toBe(sampleProblemsText());
  });

  it('loads as a MATH-500-format benchmark: a few dozen problems over several subjects and levels, unique ids', () => {
    const problems = parseBenchmark(committed, 'problems.jsonl');
    expect(problems.length).toBeGreaterThanOrEqual(30);
    expect(problems.every((p) => p.benchmark === 'math500')).toBe(true);
    expect(new Set(problems.map((p) => p.id)).size).toBe(problems.length);
    expect(new Set(problems.map((p) => p.subject)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(problems.map((p) => p.level)).size).toBe(5);
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

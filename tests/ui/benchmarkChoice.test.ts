import { describe, expect, it } from 'vitest';
import {
  benchmarkLabel,
  benchmarkRequest,
  hasSubjectsAndLevels,
  MATH_SUBJECTS,
  type BenchmarkChoice,
} from '../../src/ui/evaluate/benchmarkChoice';
import { sharedData } from '../sharedData';
import { readFileSync } from 'node:fs';

const samples: BenchmarkChoice = { file: undefined, count: 5, seed: 3, subjects: [], levels: [] };

describe('the benchmark choice as an evaluation request', () => {
  it('asks for no subject or level filter when none is ticked (all, never none)', () => {
    const request = benchmarkRequest(samples);
    expect(request).toEqual({ benchmark: { kind: 'samples' }, count: 5, seed: 3, subjects: undefined, levels: undefined });
  });

  it('passes ticked subjects as they are and ticked levels in ascending order', () => {
    const request = benchmarkRequest({ ...samples, subjects: ['Geometry', 'Number Theory'], levels: [4, 2] });
    expect(request.subjects).toEqual(['Geometry', 'Number Theory']);
    expect(request.levels).toEqual([2, 4]);
  });

  it('reads a dropped file as a file benchmark', () => {
    const file = new File(['{}'], 'test.jsonl');
    expect(benchmarkRequest({ ...samples, file }).benchmark).toEqual({ kind: 'file', file });
  });

  it('names the run by benchmark, then levels, then subjects', () => {
    expect(benchmarkLabel(samples)).toBe('sample problems');
    expect(benchmarkLabel({ ...samples, levels: [3] })).toBe('sample problems · level 3');
    expect(benchmarkLabel({ ...samples, file: new File([''], 'math500.jsonl'), levels: [5, 1], subjects: ['Algebra'] })).toBe(
      'math500.jsonl · levels 1, 5 · Algebra',
    );
  });
});

describe('which benchmark files offer subject and level filters', () => {
  const firstLine = (dataset: string, file: string) => readFileSync(sharedData(dataset, file), 'utf8').split('\n')[0];

  it('offers them for MATH-500, whose subjects are among MATH’s seven', () => {
    const line = firstLine('math500', 'test.jsonl');
    expect(hasSubjectsAndLevels(line)).toBe(true);
    expect(MATH_SUBJECTS).toContain(JSON.parse(line).subject);
  });

  it('does not offer them for GSM8K', () => {
    expect(hasSubjectsAndLevels(firstLine('gsm8k', 'test.jsonl'))).toBe(false);
  });

  it('keeps offering them when the first line does not parse (the evaluation reports the file)', () => {
    expect(hasSubjectsAndLevels('{broken')).toBe(true);
  });
});

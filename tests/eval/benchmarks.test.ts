import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../sharedData';
import { parseBenchmark, problemsFromExamples, sampleProblems } from '../../src/eval/benchmarks';
import { buildPrompt, truncateAtStop } from '../../src/eval/prompts';
import { sftEvalPrompt } from '../../src/data/sftTemplate';
import { extractAnswer } from '../../src/eval/extract';
import { gradeAnswer } from '../../src/eval/grade';
import type { Example } from '../../src/data/example';

const math500Text = readFileSync(sharedData('math500', 'test.jsonl'), 'utf8');
const gsm8kText = readFileSync(sharedData('gsm8k', 'test.jsonl'), 'utf8');

describe('benchmark loading', () => {
  it('reads MATH-500 with subjects, integer levels and ids', () => {
    const problems = parseBenchmark(math500Text, 'test.jsonl');
    expect(problems).toHaveLength(500);
    expect(problems[0]).toMatchObject({
      benchmark: 'math500',
      mode: 'math',
      id: 'test/precalculus/807.json',
      subject: 'Precalculus',
      level: 2,
    });
    expect(new Set(problems.map((p) => p.subject)).size).toBe(7);
  });

  it('reads GSM8K test: 1,319 problems graded from their "#### N" line', () => {
    const problems = parseBenchmark(gsm8kText, 'gsm8k/test.jsonl');
    expect(problems).toHaveLength(1319);
    expect(problems[0]).toMatchObject({ benchmark: 'gsm8k', mode: 'gsm8k', level: null, subject: 'gsm8k', id: 'gsm8k/1' });
    expect(gradeAnswer(problems[0].gold, 'The answer is: 18', { mode: 'gsm8k' }).equal).toBe(true);
  });

  it('reads the full MATH test format ("Level N", type, boxed solution) and takes the answer from the box', () => {
    // MATH's own layout, built from MATH-500 rows (which are MATH test problems).
    const rows = math500Text
      .trim()
      .split('\n')
      .slice(0, 3)
      .map((l) => JSON.parse(l));
    const mathText = rows
      .map((r) => JSON.stringify({ problem: r.problem, level: `Level ${r.level}`, type: r.subject, solution: r.solution }))
      .join('\n');
    const problems = parseBenchmark(mathText, 'math-test.jsonl');
    expect(problems.map((p) => [p.benchmark, p.level, p.subject])).toEqual(rows.map((r) => ['math', r.level, r.subject]));
    problems.forEach((p, i) => expect(gradeAnswer(rows[i].answer, p.gold).equal).toBe(true));
  });

  it('names the file and line of a bad row', () => {
    const text = '{"question":"1+1?","answer":"#### 2"}\n{"question":"2+2?","answer":"4"}\n';
    expect(() => parseBenchmark(text, 'g.jsonl')).toThrow(/g\.jsonl:2: answer has no "#### N" line/);
    expect(() => parseBenchmark('{"foo":1}\n', 'x.jsonl')).toThrow(/x\.jsonl:1: unknown benchmark layout/);
    expect(() => parseBenchmark('{"problem":"p","solution":"so \\\\boxed{1}","type":"Algebra","level":"Level 9"}', 'm.jsonl')).toThrow(
      /m\.jsonl:1: field "level"/,
    );
  });

  it('takes gradable problems from a loaded shard: rows with an answer only', () => {
    const examples: Example[] = [
      { kind: 'sft', prompt: 'What is 2+2?', response: '2+2=4\n#### 4', answer: '4', shard: 's.jsonl', row: 1 },
      { kind: 'sft', prompt: 'Say hi', response: 'hi', shard: 's.jsonl', row: 2 },
      {
        kind: 'sft',
        prompt: 'Half of 1?',
        response: 'The answer is: \\frac12',
        answer: '\\frac12',
        source: 'MATH_AnsAug',
        level: 2,
        shard: 's.jsonl',
        row: 3,
      },
    ];
    const problems = problemsFromExamples(examples);
    expect(problems.map((p) => [p.id, p.mode, p.subject, p.level])).toEqual([
      ['s.jsonl/1', 'gsm8k', 's.jsonl', null],
      ['s.jsonl/3', 'math', 'MATH_AnsAug', 2],
    ]);
  });
});

describe('sampling', () => {
  const problems = parseBenchmark(math500Text, 'test.jsonl');

  it('draws the same problems for the same seed, in benchmark order, and different ones for another seed', () => {
    const a = sampleProblems(problems, { count: 20, seed: 1 });
    const b = sampleProblems(problems, { count: 20, seed: 1 });
    const c = sampleProblems(problems, { count: 20, seed: 2 });
    expect(a.map((p) => p.id)).toEqual(b.map((p) => p.id));
    expect(a.map((p) => p.id)).not.toEqual(c.map((p) => p.id));
    const order = a.map((p) => problems.indexOf(p));
    expect(order).toEqual([...order].sort((x, y) => x - y));
  });

  it('filters by subject and level before drawing', () => {
    const picked = sampleProblems(problems, { count: 10, subjects: ['Geometry'], levels: [4, 5], seed: 3 });
    expect(picked).toHaveLength(10);
    for (const p of picked) {
      expect(p.subject).toBe('Geometry');
      expect([4, 5]).toContain(p.level);
    }
  });

  it('refuses to draw more than match', () => {
    expect(() => sampleProblems(problems, { count: 1000, seed: 1 })).toThrow(/only 500 match/);
  });
});

describe('prompts', () => {
  it('zero-shot uses the SFT evaluation template', () => {
    expect(buildPrompt('What is 1+1?', 'sft-zero-shot')).toBe(sftEvalPrompt('What is 1+1?'));
  });

  it('Minerva 4-shot has four worked problems whose final answers the grader reads back, then the problem', () => {
    const prompt = buildPrompt('What is 1+1?', 'minerva-4shot');
    const blocks = prompt.split('\n\nProblem:\n');
    expect(blocks).toHaveLength(5);
    expect(prompt.startsWith('Problem:\n')).toBe(true);
    expect(prompt.endsWith('Problem:\nWhat is 1+1?\n\nSolution:')).toBe(true);
    const finals = [...prompt.matchAll(/Final Answer: The final answer is (.*)\. I hope it is correct\./g)];
    expect(finals).toHaveLength(4);
    for (const block of blocks.slice(0, 4)) expect(extractAnswer(block)?.method).toBe('answer-phrase');
  });

  it('cuts a few-shot completion where the model starts the next problem', () => {
    const out = 'We add.\nFinal Answer: The final answer is $2$. I hope it is correct.\n\nProblem:\nWhat is 3+3?';
    expect(truncateAtStop(out, 'minerva-4shot')).toBe('We add.\nFinal Answer: The final answer is $2$. I hope it is correct.');
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../sharedData';
import {
  checkEvaluationRequest,
  evaluate,
  loadBenchmark,
  type EvaluationProgress,
  type EvaluationRequest,
} from '../../src/eval/evaluation';
import { nodeEvaluationEnvironment, SAMPLE_PROBLEMS_FILE } from '../../src/eval/nodeEnvironment';
import { ScriptedReplayGenerator, type RecordedOutput } from '../../src/eval/generator';
import { MemoryResultsStore } from '../../src/eval/resultsStore';
import { parseBenchmark } from '../../src/eval/benchmarks';

/**
 * `evaluate`, the one entry point the worker and the CLI share, driven by a scripted replay (never a model
 * result): the sample problems' own solutions as outputs, so every answer is right.
 */
const environment = nodeEvaluationEnvironment();
const samples = JSON.parse(`[${readFileSync(SAMPLE_PROBLEMS_FILE, 'utf8').trim().split('\n').join(',')}]`) as {
  unique_id: string;
  solution: string;
}[];
const solutions = new ScriptedReplayGenerator(
  'sample-solutions',
  new Map<string, RecordedOutput>(samples.map((s) => [s.unique_id, { text: s.solution }])),
);
const FIXED_TIME = () => new Date('2025-02-03T04:05:06.789Z');

describe('evaluate (shared by the worker API and lora-lab eval)', () => {
  it('samples the benchmark, grades every problem, and returns the run with its summary', async () => {
    const store = new MemoryResultsStore();
    const outcome = await evaluate({
      request: { benchmark: { kind: 'samples' }, count: 6, seed: 2, levels: [1, 2] },
      generator: solutions,
      store,
      environment,
      now: FIXED_TIME,
    });
    expect(outcome.status).toBe('complete');
    expect(outcome.run).toMatchObject({
      id: 'math500-sft-zero-shot-2025-02-03T04-05-06-789Z',
      benchmark: 'math500',
      maxNewTokens: 512,
      generator: { kind: 'scripted-replay', name: 'sample-solutions' },
      createdAt: '2025-02-03T04:05:06.789Z',
    });
    expect(outcome.summary.overall).toEqual({ correct: 6, total: 6, accuracy: 1 });
    expect(Object.keys(outcome.summary.byLevel).every((l) => l === '1' || l === '2')).toBe(true);
    expect((await store.loadRun(outcome.run.id))!.records).toHaveLength(6);
  });

  it('reports one event per problem, counting what a resumed run already had', async () => {
    const store = new MemoryResultsStore();
    const request: EvaluationRequest = { benchmark: { kind: 'samples' }, runId: 'resume-me', count: 5, seed: 1, batchSize: 2 };
    const controller = new AbortController();
    const first: EvaluationProgress[] = [];
    const stopped = await evaluate({
      request,
      generator: solutions,
      store,
      environment,
      signal: controller.signal,
      onProgress: (p) => {
        first.push(p);
        if (p.done === 2) controller.abort();
      },
    });
    expect(stopped.status).toBe('stopped');
    expect(first.map((p) => [p.done, p.correct, p.total])).toEqual([
      [0, 0, 5],
      [1, 1, 5],
      [2, 2, 5],
    ]);
    const second: EvaluationProgress[] = [];
    const resumed = await evaluate({ request, generator: solutions, store, environment, onProgress: (p) => second.push(p) });
    expect(resumed.status).toBe('complete');
    expect(second.map((p) => [p.done, p.correct, p.record !== undefined])).toEqual([
      [2, 2, false],
      [3, 3, true],
      [4, 4, true],
      [5, 5, true],
    ]);
    expect(resumed.run.createdAt).toBe(stopped.run.createdAt);
  });

  it('reads a dropped file as a Blob, detecting MATH-500, and honours an explicit format', async () => {
    const text = readFileSync(sharedData('math500', 'test.jsonl'), 'utf8');
    const problems = await loadBenchmark({ kind: 'file', file: new File([text], 'test.jsonl') }, environment);
    expect(problems).toHaveLength(500);
    expect(problems[0].benchmark).toBe('math500');
    const gsm = readFileSync(sharedData('gsm8k', 'test.jsonl'), 'utf8');
    const asGsm8k = await loadBenchmark({ kind: 'file', file: new Blob([gsm]), format: 'gsm8k' }, environment);
    expect(asGsm8k[0]).toMatchObject({ id: 'gsm8k/1', mode: 'gsm8k', level: null });
    await expect(loadBenchmark({ kind: 'file', file: new File([gsm], 'gsm.jsonl'), format: 'math500' }, environment)).rejects.toThrow(
      /^gsm\.jsonl:1: field "unique_id" is missing/,
    );
  });

  it("reads a loaded shard's rows that state an answer, naming a shard that is not loaded", async () => {
    const shard = [
      { kind: 'sft' as const, prompt: 'What is 2+3?', response: 'It is 5.\n#### 5', answer: '5', shard: 's.jsonl', row: 1 },
      { kind: 'sft' as const, prompt: 'Say hi.', response: 'Hi.', shard: 's.jsonl', row: 2 },
      {
        kind: 'sft' as const,
        prompt: 'Solve $x+1=3$.',
        response: 'So $x=\\boxed{2}$.',
        answer: '2',
        source: 'Algebra',
        level: 2,
        shard: 's.jsonl',
        row: 3,
      },
    ];
    const sources = { ...environment, shardExamples: (name: string) => (name === 's.jsonl' ? shard : undefined) };
    const problems = await loadBenchmark({ kind: 'shard', name: 's.jsonl' }, sources);
    expect(problems.map((p) => [p.id, p.gold, p.mode, p.subject, p.level])).toEqual([
      ['s.jsonl/1', '5', 'gsm8k', 's.jsonl', null],
      ['s.jsonl/3', '2', 'math', 'Algebra', 2],
    ]);
    await expect(loadBenchmark({ kind: 'shard', name: 'other.jsonl' }, sources)).rejects.toThrow(
      /^other\.jsonl: no loaded shard has this name/,
    );
    const unanswered = { ...environment, shardExamples: () => [shard[1]] };
    await expect(loadBenchmark({ kind: 'shard', name: 's.jsonl' }, unanswered)).rejects.toThrow(/no row of this shard states an answer/);
  });

  it('loads the sample problems from public/ in Node', async () => {
    const problems = await loadBenchmark({ kind: 'samples' }, environment);
    expect(problems).toEqual(parseBenchmark(readFileSync(SAMPLE_PROBLEMS_FILE, 'utf8'), 'x', 'math500'));
  });

  it('names each bad setting', () => {
    const base = { benchmark: { kind: 'samples' as const } };
    expect(() => checkEvaluationRequest({ ...base, count: 1.5 })).toThrow(/problem count 1.5/);
    expect(() => checkEvaluationRequest({ ...base, maxNewTokens: 0 })).toThrow(/max new tokens 0/);
    expect(() => checkEvaluationRequest({ ...base, batchSize: -1 })).toThrow(/batch size -1/);
    expect(() => checkEvaluationRequest({ ...base, seed: 0.5 })).toThrow(/seed 0.5/);
    expect(() => checkEvaluationRequest({ ...base, promptStyle: 'cot' as never })).toThrow(
      /prompt style "cot" is unknown — use one of sft-zero-shot, minerva-4shot/,
    );
    expect(() => checkEvaluationRequest({ ...base, levels: [0] })).toThrow(/level 0 is not 1..5/);
    expect(() => checkEvaluationRequest({ ...base, runId: 'x y' })).toThrow(/run id "x y"/);
    expect(() => checkEvaluationRequest(base)).not.toThrow();
  });

  it('says which subjects exist when none matches', async () => {
    await expect(
      evaluate({
        request: { benchmark: { kind: 'samples' }, subjects: ['Astrology'] },
        generator: solutions,
        store: new MemoryResultsStore(),
        environment,
      }),
    ).rejects.toThrow(/no problem matches .* the benchmark has subjects .*Algebra/);
  });
});

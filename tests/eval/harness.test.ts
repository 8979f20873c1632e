import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../sharedData';
import { parseBenchmark, sampleProblems, type EvalProblem } from '../../src/eval/benchmarks';
import { ScriptedReplayGenerator, abortError, type RecordedOutput, type Generator } from '../../src/eval/generator';
import { runEvaluation, type EvalProgress } from '../../src/eval/runner';
import { MemoryResultsStore } from '../../src/eval/resultsStore';
import { exportCsv, exportJsonl, summarise, type ProblemRecord, type RunInfo } from '../../src/eval/records';
import { compareRuns } from '../../src/eval/compareRuns';

/**
 * The harness driven by scripted replays of recorded outputs (never a model result): reference solutions from
 * MATH-500 stand in for right outputs, and a fixed wrong sentence for wrong ones.
 */
const rows = readFileSync(sharedData('math500', 'test.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
const problems = sampleProblems(parseBenchmark(rows.map((r) => JSON.stringify(r)).join('\n'), 'test.jsonl'), { count: 12, seed: 5 });
const solutionOf = new Map<string, string>(rows.map((r) => [r.unique_id, r.solution]));

/** Right on the problems `right` selects, a boxed wrong answer elsewhere. */
function replay(name: string, right: (p: EvalProblem, i: number) => boolean): ScriptedReplayGenerator {
  const outputs = new Map<string, RecordedOutput>(
    problems.map((p, i) => [p.id, { text: right(p, i) ? solutionOf.get(p.id)! : 'I think it is $\\boxed{-12345}$.', outputTokens: 50 }]),
  );
  return new ScriptedReplayGenerator(name, outputs);
}

function runInfo(id: string, generator: Generator): RunInfo {
  return {
    id,
    name: id,
    benchmark: 'math500',
    promptStyle: 'sft-zero-shot',
    generator: { kind: generator.kind, name: generator.name },
    maxNewTokens: 1024,
    problemIds: problems.map((p) => p.id),
    createdAt: '2025-01-01T00:00:00.000Z',
  };
}

describe('evaluation runner', () => {
  it('grades every problem, stores records with prompt, output, extracted span, verdict, reason, tokens and time', async () => {
    const generator = replay('replay-all-right', () => true);
    const store = new MemoryResultsStore();
    const progress: EvalProgress[] = [];
    const streamed: ProblemRecord[] = [];
    const result = await runEvaluation({
      run: runInfo('r1', generator),
      problems,
      generator,
      store,
      batchSize: 5,
      onProgress: (p) => progress.push(p),
      onRecord: (r) => streamed.push(r),
    });
    expect(result.status).toBe('complete');
    expect(result.records).toHaveLength(12);
    expect(result.records.every((r) => r.correct)).toBe(true);
    const first = result.records[0];
    expect(first.prompt).toContain(problems[0].problem);
    expect(first.output.slice(first.extracted!.start, first.extracted!.end)).toMatch(/^\\boxed/);
    expect(first).toMatchObject({
      rule: expect.any(String),
      outputTokens: 50,
      promptTokens: expect.any(Number),
      timeMs: expect.any(Number),
    });
    expect(progress.map((p) => p.done)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(progress.slice(1).map((p) => p.record?.problemId)).toEqual(problems.map((p) => p.id));
    expect(streamed.map((r) => r.problemId)).toEqual(problems.map((p) => p.id));
    expect((await store.loadRun('r1'))!.records).toHaveLength(12);
  });

  it('stops on abort keeping finished records, and resumes with only the rest', async () => {
    const generator = replay('replay-half', (_, i) => i % 2 === 0);
    const store = new MemoryResultsStore();
    const controller = new AbortController();
    const stopped = await runEvaluation({
      run: runInfo('r2', generator),
      problems,
      generator,
      store,
      batchSize: 4,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 4) controller.abort();
      },
    });
    expect(stopped.status).toBe('stopped');
    expect((await store.loadRun('r2'))!.records).toHaveLength(4);
    generator.seenPrompts.length = 0;
    const resumed = await runEvaluation({ run: runInfo('r2', generator), problems, generator, store, batchSize: 4 });
    expect(resumed.status).toBe('complete');
    expect(generator.seenPrompts).toHaveLength(8);
    expect(resumed.records.map((r) => r.problemId)).toEqual(problems.map((p) => p.id));
    expect(summarise(resumed.records).overall).toEqual({ correct: 6, total: 12, accuracy: 0.5 });
  });

  it('keeps the problems of a batch that finished before a stop mid-batch, and resumes with only the unfinished ones', async () => {
    const generator = replay('replay-mid-batch', () => true);
    const store = new MemoryResultsStore();
    const controller = new AbortController();
    const stopped = await runEvaluation({
      run: runInfo('r5', generator),
      problems,
      generator,
      store,
      batchSize: 8,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 3) controller.abort();
      },
    });
    expect(stopped.status).toBe('stopped');
    expect(stopped.records.map((r) => r.problemId)).toEqual(problems.slice(0, 3).map((p) => p.id));
    expect((await store.loadRun('r5'))!.records).toHaveLength(3);
    generator.seenPrompts.length = 0;
    const resumed = await runEvaluation({ run: runInfo('r5', generator), problems, generator, store, batchSize: 8 });
    expect(generator.seenPrompts).toHaveLength(9);
    expect(resumed.records.map((r) => r.problemId)).toEqual(problems.map((p) => p.id));
  });

  it('treats a generator that rejects with AbortError mid-batch as a stop', async () => {
    const inner = replay('replay-abort', () => true);
    let calls = 0;
    const flaky: Generator = {
      kind: inner.kind,
      name: inner.name,
      generate: async (batch, o) => {
        if (++calls === 2) throw abortError();
        return inner.generate(batch, o);
      },
    };
    const store = new MemoryResultsStore();
    const result = await runEvaluation({ run: runInfo('r3', flaky), problems, generator: flaky, store, batchSize: 6 });
    expect(result).toMatchObject({ status: 'stopped' });
    expect(result.records).toHaveLength(6);
  });

  it('refuses to resume a run with another generator', async () => {
    const store = new MemoryResultsStore();
    const a = replay('replay-a', () => true);
    await runEvaluation({ run: runInfo('r4', a), problems: problems.slice(0, 12), generator: a, store, batchSize: 12 });
    const b = replay('replay-b', () => true);
    await expect(runEvaluation({ run: runInfo('r4', b), problems, generator: b, store })).rejects.toThrow(/different prompt or generator/);
  });

  it('refuses to resume a run with another token budget or another problem sample', async () => {
    const store = new MemoryResultsStore();
    const a = replay('replay-a', () => true);
    const controller = new AbortController();
    controller.abort();
    await runEvaluation({ run: runInfo('r6', a), problems, generator: a, store, signal: controller.signal });
    const budget = { ...runInfo('r6', a), maxNewTokens: 512 };
    await expect(runEvaluation({ run: budget, problems, generator: a, store })).rejects.toThrow(/different token budget or problem sample/);
    const sample = { ...runInfo('r6', a), problemIds: problems.slice(1).map((p) => p.id) };
    await expect(runEvaluation({ run: sample, problems, generator: a, store })).rejects.toThrow(/different token budget or problem sample/);
  });

  it("asks the generator to stop at the prompt style's stop texts", async () => {
    const seen: (readonly string[] | undefined)[] = [];
    const inner = replay('replay-stops', () => true);
    const watching: Generator = {
      kind: inner.kind,
      name: inner.name,
      generate: (batch, o) => (seen.push(o.stop), inner.generate(batch, o)),
    };
    const run: RunInfo = { ...runInfo('r7', watching), promptStyle: 'minerva-4shot', problemIds: [problems[0].id] };
    await runEvaluation({ run, problems, generator: watching, store: new MemoryResultsStore() });
    expect(seen).toEqual([['\n\nProblem:', 'I hope it is correct.']]);
  });
});

describe('results: summaries and exports', () => {
  it('summarises overall, by subject and by level, and exports JSONL and CSV', async () => {
    const generator = replay('replay-odd', (_, i) => i % 3 !== 0);
    const store = new MemoryResultsStore();
    const { records } = await runEvaluation({ run: runInfo('r5', generator), problems, generator, store });
    const summary = summarise(records);
    expect(summary.overall).toMatchObject({ correct: 8, total: 12 });
    const subjectTotal = Object.values(summary.bySubject).reduce((n, t) => n + t.total, 0);
    const levelTotal = Object.values(summary.byLevel).reduce((n, t) => n + t.total, 0);
    expect([subjectTotal, levelTotal]).toEqual([12, 12]);
    const jsonl = exportJsonl(runInfo('r5', generator), records)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(jsonl[0].run.generator).toEqual({ kind: 'scripted-replay', name: 'replay-odd' });
    expect(jsonl.slice(1).map((l) => l.record.problemId)).toEqual(problems.map((p) => p.id));
    const csv = exportCsv(records);
    expect(csv.split('\r\n')[0]).toBe('problemId,subject,level,correct,rule,reason,gold,extracted,promptTokens,outputTokens,timeMs,output');
    expect(csv).toContain(',I think it is $\\boxed{-12345}$.\r\n');
    // A cell holding commas, quotes or newlines is quoted with doubled quotes.
    const multiLine = records.find((r) => r.correct && /[\n",]/.test(r.output))!;
    expect(csv).toContain(`"${multiLine.output.replace(/"/g, '""')}"`);
  });
});

describe('comparing runs', () => {
  it('builds the side-by-side table, McNemar per pair, intervals and the disagreements with both outputs', async () => {
    const store = new MemoryResultsStore();
    const a = replay('replay-first-half', (_, i) => i < 6);
    const b = replay('replay-all', () => true);
    await runEvaluation({ run: runInfo('A', a), problems, generator: a, store });
    await runEvaluation({ run: runInfo('B', b), problems, generator: b, store });
    const comparison = compareRuns([(await store.loadRun('A'))!, (await store.loadRun('B'))!], { seed: 11 });
    expect(comparison.table[0].group).toBe('overall');
    expect(comparison.table[0].cells.map((c) => c.correct)).toEqual([6, 12]);
    expect(comparison.table.some((row) => row.group.startsWith('subject: '))).toBe(true);
    expect(comparison.table.some((row) => row.group.startsWith('level: '))).toBe(true);
    const pair = comparison.pairs[0];
    // 6 discordant pairs all in B's favour: p = 2·(1/2)^6 = 1/32.
    expect(pair.mcnemar).toMatchObject({ onlyFirst: 0, onlySecond: 6 });
    expect(pair.mcnemar.pValue).toBeCloseTo(1 / 32, 12);
    expect(pair.difference.estimate).toBeCloseTo(0.5, 12);
    expect(pair.difference.low).toBeGreaterThan(0);
    expect(comparison.disagreements.map((d) => d.problemId)).toEqual(problems.slice(6).map((p) => p.id));
    expect(comparison.disagreements[0].answers.map((x) => [x.runId, x.correct, x.extracted])).toEqual([
      ['A', false, '-12345'],
      ['B', true, expect.any(String)],
    ]);
  });

  it('compares only problems both runs finished, and says how many were skipped', async () => {
    const store = new MemoryResultsStore();
    const a = replay('replay-x', () => true);
    await runEvaluation({ run: runInfo('X', a), problems, generator: a, store });
    const partial = { ...(await store.loadRun('X'))!, info: { ...runInfo('Y', a) } };
    partial.records = partial.records.slice(0, 7);
    const comparison = compareRuns([(await store.loadRun('X'))!, partial], { seed: 1 });
    expect(comparison.problemIds).toHaveLength(7);
    expect(comparison.skipped).toBe(5);
    expect(() => compareRuns([partial], { seed: 1 })).toThrow(/at least two runs/);
  });
});

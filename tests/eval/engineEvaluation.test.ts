import { openAsBlob, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../src/worker/engine';
import type { EvaluationProgress } from '../../src/worker/api';
import { nodeEvaluationEnvironment } from '../../src/eval/nodeEnvironment';
import { testGpu } from '../setup/testGpu';
import { sharedData } from '../sharedData';

// Real decoding on SwiftShader, on a machine other test runs share: minutes, not the default two.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

/**
 * Evaluation through the worker API, as the page will call it, on the real tiny model stories260K (its answers
 * are stories, so accuracy is 0: what is checked is the plumbing — sources, progress, storage, resume, export,
 * comparison). Two problems and 16 tokens each keep SwiftShader's share of the run short.
 */
let engine: Engine;
const TOKENS = 16;

beforeAll(async () => {
  engine = new Engine(testGpu, nodeEvaluationEnvironment());
  await engine.init();
  await engine.loadModel(await openAsBlob(sharedData('tiny-models', 'stories260K.gguf')), 'load');
});

describe('engine.evaluate and the stored runs', () => {
  it('evaluates the sample problems, one progress event per problem with its record, and lists the run', async () => {
    const events: EvaluationProgress[] = [];
    const outcome = await engine.evaluate(
      { benchmark: { kind: 'samples' }, runId: 'samples-a', count: 2, seed: 3, maxNewTokens: TOKENS },
      'eval-a',
      (p) => events.push(p),
    );
    expect(outcome.status).toBe('complete');
    expect(outcome.run).toMatchObject({
      id: 'samples-a',
      benchmark: 'math500',
      promptStyle: 'sft-zero-shot',
      generator: { kind: 'model', name: 'model.gguf' },
      maxNewTokens: TOKENS,
    });
    expect(outcome.run.problemIds).toHaveLength(2);
    expect(outcome.summary.overall.total).toBe(2);
    expect(events.map((e) => [e.done, e.total, e.record?.problemId])).toEqual([
      [0, 2, undefined],
      [1, 2, outcome.run.problemIds[0]],
      [2, 2, outcome.run.problemIds[1]],
    ]);
    expect(events[1].record!.outputTokens).toBeLessThanOrEqual(TOKENS);
    const listed = (await engine.evaluationRuns()).find((r) => r.run.id === 'samples-a');
    expect(listed).toEqual({ run: outcome.run, done: 2, summary: outcome.summary });
  });

  it('stops when cancelled, keeping finished problems, and resumes the same run id with the rest', async () => {
    const request = { benchmark: { kind: 'samples' as const }, runId: 'samples-b', count: 2, seed: 3, maxNewTokens: TOKENS, batchSize: 1 };
    const stopped = await engine.evaluate(request, 'eval-b1', (p) => {
      if (p.done === 1) void engine.cancel('eval-b1');
    });
    expect(stopped.status).toBe('stopped');
    expect(stopped.summary.overall.total).toBe(1);
    const events: EvaluationProgress[] = [];
    const resumed = await engine.evaluate(request, 'eval-b2', (p) => events.push(p));
    expect(resumed.status).toBe('complete');
    expect(events.map((e) => e.done)).toEqual([1, 2]);
    expect(resumed.summary.overall.total).toBe(2);
  });

  it('compares runs on the same problems: the same greedy model disagrees nowhere', async () => {
    const comparison = await engine.compareRuns(['samples-a', 'samples-b'], { seed: 7 });
    expect(comparison.problemIds).toHaveLength(2);
    expect(comparison.disagreements).toEqual([]);
    expect(comparison.pairs[0].mcnemar).toEqual({ onlyFirst: 0, onlySecond: 0, pValue: 1 });
    await expect(engine.compareRuns(['samples-a', 'nope'])).rejects.toThrow(/no evaluation run "nope"/);
  });

  it('exports a stored run as JSONL (the run, then its records) and CSV, and deletes it', async () => {
    const jsonl = (await engine.exportEvaluation('samples-a', 'jsonl'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(jsonl[0].run.id).toBe('samples-a');
    expect(jsonl.slice(1).map((l) => l.record.prompt.includes('### Instruction:'))).toEqual([true, true]);
    const csv = (await engine.exportEvaluation('samples-a', 'csv')).trim().split('\r\n');
    expect(csv[0].startsWith('problemId,subject,level,correct,')).toBe(true);
    await engine.deleteEvaluation('samples-b');
    expect((await engine.evaluationRuns()).map((r) => r.run.id)).not.toContain('samples-b');
  });

  it('evaluates a dropped GSM8K file (a Blob), detecting its layout', async () => {
    const firstLines = readFileSync(sharedData('gsm8k', 'test.jsonl'), 'utf8').split('\n').slice(0, 3).join('\n');
    const file = new File([firstLines], 'gsm8k-test.jsonl');
    const outcome = await engine.evaluate({ benchmark: { kind: 'file', file }, count: 1, seed: 0, maxNewTokens: TOKENS }, 'eval-g');
    expect(outcome.run.benchmark).toBe('gsm8k');
    expect(outcome.run.id).toMatch(/^gsm8k-sft-zero-shot-\d{4}-\d\d-\d\dT/);
    expect(outcome.summary.bySubject).toEqual({ gsm8k: expect.objectContaining({ total: 1 }) });
    expect(outcome.summary.byLevel).toEqual({ none: expect.objectContaining({ total: 1 }) });
  });

  it('evaluates a training shard loaded in the lab, on its rows that state an answer', async () => {
    const rows = readFileSync(sharedData('gsm8k', 'train.jsonl'), 'utf8').split('\n').slice(0, 3).join('\n');
    const { added } = await engine.addShards([new File([rows], 'gsm8k-train.jsonl')]);
    expect(added.map((s) => s.rowsKept)).toEqual([3]);
    const outcome = await engine.evaluate(
      { benchmark: { kind: 'shard', name: 'gsm8k-train.jsonl' }, count: 1, seed: 2, maxNewTokens: TOKENS },
      'eval-s',
    );
    expect(outcome.run.benchmark).toBe('shard');
    expect(outcome.run.problemIds).toEqual([expect.stringMatching(/^gsm8k-train\.jsonl\/[123]$/)]);
    await expect(engine.evaluate({ benchmark: { kind: 'shard', name: 'absent.jsonl' } }, 'eval-s2')).rejects.toThrow(
      /absent\.jsonl: no loaded shard has this name/,
    );
  });

  it('refuses bad settings before any work, and evaluating with no model loaded', async () => {
    await expect(engine.evaluate({ benchmark: { kind: 'samples' }, count: 0 }, 'bad-1')).rejects.toThrow(
      /problem count 0 is not a whole number ≥ 1/,
    );
    await expect(engine.evaluate({ benchmark: { kind: 'samples' }, levels: [6] }, 'bad-2')).rejects.toThrow(/level 6 is not 1..5/);
    await expect(engine.evaluate({ benchmark: { kind: 'samples' }, runId: 'a/b' }, 'bad-3')).rejects.toThrow(/run id "a\/b"/);
    const bare = new Engine(testGpu, nodeEvaluationEnvironment());
    await expect(bare.evaluate({ benchmark: { kind: 'samples' } }, 'bad-4')).rejects.toThrow(/no model is loaded/);
  });
});

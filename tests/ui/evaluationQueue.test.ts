import { describe, expect, it } from 'vitest';
import type { EvaluationOutcome, EvaluationProgress, EvaluationRequest } from '../../src/worker/api';
import { queueLabel, runEvaluationQueue, validateChoices, type ModelChoice, type QueueEngine } from '../../src/ui/evaluate/evaluationQueue';

/** An engine that records its calls and answers each evaluation with two progress events; `stopAt` stops that job. */
function fakeEngine(options: { stopAt?: string; failAt?: string } = {}) {
  const calls: string[] = [];
  const requests: EvaluationRequest[] = [];
  let inUse: string | null = 'before';
  const engine: QueueEngine = {
    async useAdapter(id) {
      calls.push(`use ${id}`);
      inUse = id;
    },
    async evaluate(request, jobId, onProgress?: (p: EvaluationProgress) => void) {
      calls.push(`evaluate ${jobId} with ${inUse}`);
      requests.push(request);
      if (jobId === options.failAt) throw new Error('out of memory');
      onProgress?.({ done: 1, total: 2, unit: 'problems', correct: 1 });
      const stopped = jobId === options.stopAt;
      if (!stopped) onProgress?.({ done: 2, total: 2, unit: 'problems', correct: 1 });
      const done = stopped ? 1 : 2;
      return {
        run: {
          id: `run-${jobId}`,
          name: request.name ?? '',
          benchmark: 'math',
          promptStyle: 'sft-zero-shot',
          generator: { kind: 'model', name: String(inUse) },
          maxNewTokens: 4,
          problemIds: ['a', 'b'],
          createdAt: '',
        },
        status: stopped ? 'stopped' : 'complete',
        summary: { overall: { correct: 1, total: done, accuracy: 1 / done }, bySubject: {}, byLevel: {} },
      } satisfies EvaluationOutcome;
    },
  };
  return { engine, calls, requests };
}

const base: ModelChoice = { adapterId: null, name: 'Base model' };
const rank4: ModelChoice = { adapterId: 'a4', name: 'rank4' };
const rank16: ModelChoice = { adapterId: 'a16', name: 'rank16' };
const request = { benchmark: { kind: 'samples' as const }, count: 5, seed: 7, maxNewTokens: 4, name: 'sample problems' };

function jobIds(): () => string {
  let next = 0;
  return () => `job${++next}`;
}

describe('evaluating several models in one action', () => {
  it('puts each chosen model in use, then evaluates it, one after another in the order ticked', async () => {
    const { engine, calls } = fakeEngine();
    const outcomes = await runEvaluationQueue(engine, [base, rank4, rank16], request, jobIds());
    expect(calls).toEqual(['use null', 'evaluate job1 with null', 'use a4', 'evaluate job2 with a4', 'use a16', 'evaluate job3 with a16']);
    expect(outcomes.map((o) => o.status)).toEqual(['complete', 'complete', 'complete']);
  });

  it('asks every model the same benchmark, problems and seed, each run named after its model', async () => {
    const { engine, requests } = fakeEngine();
    await runEvaluationQueue(engine, [base, rank4], request, jobIds());
    expect(requests.map((r) => r.name)).toEqual(['Base model · sample problems', 'rank4 · sample problems']);
    for (const r of requests) expect({ ...r, name: undefined }).toEqual({ ...request, name: undefined });
  });

  it('says which one is running ("2 of 3: rank4") and passes its progress on, tagged with the model', async () => {
    const { engine } = fakeEngine();
    const started: string[] = [];
    const progress: string[] = [];
    await runEvaluationQueue(engine, [base, rank4, rank16], request, jobIds(), {
      onStart: (position, total, choice, jobId) => started.push(`${queueLabel(position, total, choice)} (${jobId})`),
      onProgress: (choice, p) => progress.push(`${choice.name} ${p.done}/${p.total}`),
    });
    expect(started).toEqual(['1 of 3: Base model (job1)', '2 of 3: rank4 (job2)', '3 of 3: rank16 (job3)']);
    expect(progress).toEqual(['Base model 1/2', 'Base model 2/2', 'rank4 1/2', 'rank4 2/2', 'rank16 1/2', 'rank16 2/2']);
  });

  it('stops the rest when one is stopped, returning the outcomes so far with the stopped one last', async () => {
    const { engine, calls } = fakeEngine({ stopAt: 'job2' });
    const outcomes = await runEvaluationQueue(engine, [base, rank4, rank16], request, jobIds());
    expect(outcomes.map((o) => o.status)).toEqual(['complete', 'stopped']);
    expect(calls).not.toContain('use a16');
  });

  it('stops before the next model when Stop was pressed between two evaluations', async () => {
    const { engine, calls } = fakeEngine();
    let stop = false;
    const outcomes = await runEvaluationQueue(engine, [base, rank4, rank16], request, jobIds(), {
      onOutcome: () => (stop = true),
      stopRequested: () => stop,
    });
    expect(outcomes).toHaveLength(1);
    expect(calls).toEqual(['use null', 'evaluate job1 with null']);
  });

  it('rejects with the failure of the evaluation that failed, after reporting the outcomes before it', async () => {
    const { engine } = fakeEngine({ failAt: 'job2' });
    const reported: string[] = [];
    await expect(
      runEvaluationQueue(engine, [base, rank4, rank16], request, jobIds(), { onOutcome: (c) => reported.push(c.name) }),
    ).rejects.toThrow('out of memory');
    expect(reported).toEqual(['Base model']);
  });

  it('needs at least one model ticked', () => {
    expect(validateChoices([])).toMatch(/at least one model/);
    expect(validateChoices([rank4])).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { JobRegistry, type RunningJob } from '../../src/worker/jobs';

const evaluation = { id: 'eval-1', label: 'evaluation of stories260K.gguf', usesModel: true, action: 'evaluate' };
const generation = { id: 'gen-1', label: 'generation from stories260K.gguf', usesModel: true, action: 'generate' };

/** A job that runs until `finish` is called. */
function held(): { work: (signal: AbortSignal) => Promise<string>; finish: () => void } {
  let finish = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { work: async () => (await done, 'finished'), finish };
}

describe('the job policy: one job on the model at a time', () => {
  it('refuses a second model job, naming the running one and the action refused', async () => {
    const jobs = new JobRegistry();
    const running = held();
    const first = jobs.run(evaluation, running.work);
    await expect(jobs.run(generation, async () => 'generated')).rejects.toThrow(
      'generate: evaluation of stories260K.gguf is running on the model — Wait until it finishes or stop it, then try again.',
    );
    running.finish();
    expect(await first).toBe('finished');
    expect(await jobs.run(generation, async () => 'generated')).toBe('generated');
  });

  it('runs work that does not use the model beside a model job', async () => {
    const jobs = new JobRegistry();
    const running = held();
    const first = jobs.run(evaluation, running.work);
    expect(await jobs.run({ id: 'check', label: 'the GPU check', usesModel: false, action: 'checkMatmul' }, async () => 'checked')).toBe(
      'checked',
    );
    running.finish();
    await first;
  });

  it('frees the model when a job fails, so the next one starts', async () => {
    const jobs = new JobRegistry();
    await expect(jobs.run(evaluation, async () => Promise.reject(new Error('broken file')))).rejects.toThrow('broken file');
    expect(jobs.modelJobRunning).toBeUndefined();
    expect(await jobs.run(generation, async () => 'generated')).toBe('generated');
  });

  it('tells watchers the model job now and at every start and end', async () => {
    const jobs = new JobRegistry();
    const seen: (RunningJob | undefined)[] = [];
    jobs.watch((job) => seen.push(job));
    const running = held();
    const first = jobs.run(evaluation, running.work);
    await jobs.run(generation, async () => 'generated').catch(() => 'refused');
    running.finish();
    await first;
    expect(seen).toEqual([undefined, { id: 'eval-1', label: 'evaluation of stories260K.gguf' }, undefined]);
  });

  it('cancels a running job by id with the reason "cancelled by the user"', async () => {
    const jobs = new JobRegistry();
    const running = jobs.run(
      evaluation,
      (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );
    expect(jobs.cancel('eval-1')).toBe(true);
    await expect(running).rejects.toThrow(/cancelled by the user/);
    expect(jobs.cancel('eval-1')).toBe(false);
  });
});

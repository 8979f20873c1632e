import { Comlink, newJobId, type EngineProxy } from '../engineClient';
import type { AdapterSummary, InterruptedRun, StepMetrics, TrainingPlan, TrainRequest } from '../../worker/api';

/**
 * The page's one training job, shared by the Train panel (start, pause, stop, charts) and the list of runs to resume
 * (which may continue a run before the Train panel is even shown). Pause is the engine's cancel: the run stops with
 * a checkpoint and stays resumable. Stop is a pause whose run is then discarded (its adapter stays in the library).
 */
export class TrainingSession {
  metrics: StepMetrics[] = $state([]);
  /** The run's steps: from the request or the stored run, or (a run in epochs) from the engine's plan. */
  totalSteps = $state(0);
  /** What the engine said the new run will do, before its first step (undefined for a resumed run). */
  plan: TrainingPlan | undefined = $state();
  runName = $state('');
  jobId: string | undefined = $state();
  error: string | undefined = $state();
  gpuBytes: number | undefined = $state();
  /** Runs that can continue: paused here, or cut off by a reload; refreshed whenever no job runs. */
  resumable: InterruptedRun[] = $state([]);
  /** The run the last Pause stopped, which the Train panel's Resume continues. */
  pausedRunId: string | undefined = $state();
  /** The run `resume` continues, left out of `resumable` while it runs. */
  resumingRunId: string | undefined = $state();
  /** Bumped when an adapter lands in the library, so lists of adapters reload. */
  libraryVersion = $state(0);
  private afterCancel: 'pause' | 'stop' = 'pause';
  private memoryAsked = false;

  constructor(private readonly engine: EngineProxy) {}

  get running(): boolean {
    return this.jobId !== undefined;
  }

  async refreshResumable(): Promise<void> {
    if (this.running) return;
    try {
      this.resumable = await this.engine.interruptedRuns();
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
  }

  /** Trains a new adapter; resolves to it (undefined when the run failed: `error` says why). */
  start(request: TrainRequest): Promise<AdapterSummary | undefined> {
    const onPlanned = Comlink.proxy((plan: TrainingPlan) => {
      this.plan = plan;
      this.totalSteps = plan.steps;
    });
    // In epochs the steps are 0 (unknown) until the plan comes, before the first step.
    return this.run(request.name, request.steps ?? 0, (jobId, onMetrics) => this.engine.train(request, jobId, onMetrics, onPlanned));
  }

  /** Continues a run from its last checkpoint; the engine replays its stored steps first, so the charts show all of it. */
  async resume(run: InterruptedRun): Promise<void> {
    if (this.running) return;
    this.resumingRunId = run.runId;
    await this.run(run.name, run.steps, (jobId, onMetrics) => this.engine.resumeTraining(run.runId, jobId, onMetrics));
  }

  pause(): void {
    this.afterCancel = 'pause';
    if (this.jobId) void this.engine.cancel(this.jobId);
  }

  /** Ends the running run, or the paused one, keeping its adapter as it is. */
  async stop(): Promise<void> {
    this.afterCancel = 'stop';
    if (this.jobId) await this.engine.cancel(this.jobId);
    else if (this.pausedRunId) {
      const runId = this.pausedRunId;
      this.pausedRunId = undefined;
      await this.discard(runId);
    }
  }

  /** Forgets a paused or interrupted run's checkpoint; an adapter saved when it stopped stays in the library. */
  async discard(runId: string): Promise<void> {
    await this.engine.discardRun(runId);
    await this.refreshResumable();
  }

  private async run(
    name: string,
    steps: number,
    call: (jobId: string, onMetrics: (m: StepMetrics) => void) => Promise<AdapterSummary>,
  ): Promise<AdapterSummary | undefined> {
    if (this.running) return undefined;
    this.pausedRunId = undefined;
    this.metrics = [];
    this.plan = undefined;
    this.error = undefined;
    this.runName = name;
    this.totalSteps = steps;
    this.afterCancel = 'pause';
    const jobId = newJobId();
    this.jobId = jobId;
    try {
      const summary = await call(
        jobId,
        Comlink.proxy((m: StepMetrics) => {
          this.metrics = [...this.metrics, m];
          this.askMemory();
        }),
      );
      if (summary.status === 'stopped' && this.stopRequested()) await this.engine.discardRun(summary.id);
      this.pausedRunId = summary.status === 'stopped' && !this.stopRequested() ? summary.id : undefined;
      return summary;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      return undefined;
    } finally {
      this.jobId = undefined;
      this.resumingRunId = undefined;
      this.libraryVersion++;
      this.askMemory();
      await this.refreshResumable();
    }
  }

  /** Whether the cancel that ended the run was Stop rather than Pause (read after the run returns). */
  private stopRequested(): boolean {
    return this.afterCancel === 'stop';
  }

  /** GPU memory in use, asked at most once at a time (the answer comes back while the next step runs). */
  private askMemory(): void {
    if (this.memoryAsked) return;
    this.memoryAsked = true;
    this.engine
      .memory()
      .then((m) => (this.gpuBytes = m.bytesInUse))
      // A figure for the progress line only: when the engine cannot say (device lost), the line leaves it out.
      .catch(() => (this.gpuBytes = undefined))
      .finally(() => (this.memoryAsked = false));
  }
}

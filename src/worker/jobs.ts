import { LabError } from '../errors';

/** A job the engine is running, as the page and a refusal name it. */
export interface RunningJob {
  id: string;
  /** What it does, in the user's words: 'training "robots"', 'evaluation of stories260K.gguf'. */
  label: string;
}

export interface JobSpec extends RunningJob {
  /**
   * The job reads or changes the loaded model (its weights, its one KV cache, the adapter in use): generation,
   * evaluation, training, loading and adapter switches. Work that never touches it (the matmul check) runs beside.
   */
  usesModel: boolean;
  /** The action as the refusal names it ('generate', 'train'...). */
  action: string;
}

/**
 * Long-running engine work runs here, so the page can cancel it by id and one job policy holds everywhere: at most
 * one job uses the loaded model at a time. A second is refused at once, naming the one running; the page's
 * buttons show that job instead of offering what would be refused (`watch`). Refusing, not queueing: a queued
 * click would start minutes later with settings the user has since changed.
 */
export class JobRegistry {
  private readonly running = new Map<string, AbortController>();
  private modelJob: RunningJob | undefined;
  private readonly watchers: ((job: RunningJob | undefined) => void)[] = [];

  /** Runs `work` as the job `spec`, refused while another model job runs when `spec.usesModel`. */
  async run<T>(spec: JobSpec, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.running.has(spec.id)) throw new LabError(`a job with id ${spec.id} is already running`, spec.action);
    if (spec.usesModel && this.modelJob) {
      throw new LabError(
        `${this.modelJob.label} is running on the model`,
        spec.action,
        'Wait until it finishes or stop it, then try again.',
      );
    }
    const controller = new AbortController();
    this.running.set(spec.id, controller);
    if (spec.usesModel) this.setModelJob({ id: spec.id, label: spec.label });
    try {
      return await work(controller.signal);
    } finally {
      this.running.delete(spec.id);
      if (spec.usesModel) this.setModelJob(undefined);
    }
  }

  /** Returns whether a running job was cancelled. */
  cancel(jobId: string): boolean {
    const controller = this.running.get(jobId);
    if (!controller) return false;
    controller.abort(new LabError('cancelled by the user', jobId));
    return true;
  }

  /** The job using the loaded model now, if any. */
  get modelJobRunning(): RunningJob | undefined {
    return this.modelJob;
  }

  /** Calls `watcher` now with the model job running (or undefined), and again whenever that changes. */
  watch(watcher: (job: RunningJob | undefined) => void): void {
    this.watchers.push(watcher);
    watcher(this.modelJob);
  }

  private setModelJob(job: RunningJob | undefined): void {
    this.modelJob = job;
    for (const watcher of this.watchers) watcher(job);
  }
}

/** Throws the cancellation reason if the job was cancelled; call between units of work. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new LabError('cancelled', 'engine');
}

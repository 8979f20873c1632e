import { LabError } from '../errors';

/** Long-running engine work (training, evaluation, loading) registers here so the UI can cancel it by id. */
export class JobRegistry {
  private readonly running = new Map<string, AbortController>();

  start(jobId: string): AbortSignal {
    if (this.running.has(jobId)) throw new LabError(`a job with id ${jobId} is already running`, 'engine');
    const controller = new AbortController();
    this.running.set(jobId, controller);
    return controller.signal;
  }

  finish(jobId: string): void {
    this.running.delete(jobId);
  }

  /** Returns whether a running job was cancelled. */
  cancel(jobId: string): boolean {
    const controller = this.running.get(jobId);
    if (!controller) return false;
    controller.abort(new LabError('cancelled by the user', jobId));
    return true;
  }

  get ids(): string[] {
    return [...this.running.keys()];
  }
}

/** Throws the cancellation reason if the job was cancelled; call between units of work. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new LabError('cancelled', 'engine');
}

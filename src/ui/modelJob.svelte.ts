import { getContext, setContext } from 'svelte';
import type { RunningJob } from '../worker/api';

/**
 * The job on the loaded model, as the engine reports it (`watchJobs`). The engine runs one such job at a time and
 * refuses a second; the panels read this to disable what would be refused and to say which job holds the model.
 */
export class ModelJob {
  running: RunningJob | undefined = $state();

  /** The job holding the model, unless it is `own` (the asking panel's job id): what that panel has to wait for. */
  heldBy(own?: string): RunningJob | undefined {
    return this.running && this.running.id !== own ? this.running : undefined;
  }
}

const KEY = Symbol('model job');

/** App: makes the model job visible to every panel. */
export function provideModelJob(job: ModelJob): void {
  setContext(KEY, job);
}

/** A panel: the model job App provides. */
export function modelJob(): ModelJob {
  return getContext<ModelJob>(KEY);
}

import type { ProblemRecord, RunInfo } from './records';

/**
 * Where evaluation runs live. The lab keeps them in the browser's origin-private file system (OPFS, see
 * `opfsResultsStore.ts`); tests and the CLI use the in-memory store. Records are appended as they are graded,
 * so a stopped run keeps what it finished and can be resumed.
 */
export interface StoredRun {
  info: RunInfo;
  records: ProblemRecord[];
}

export interface ResultsStore {
  /** Creates or replaces a run's description (its records are kept). */
  saveRun(info: RunInfo): Promise<void>;
  appendRecords(runId: string, records: readonly ProblemRecord[]): Promise<void>;
  /** The run and its records in the order they were appended, or null when there is no such run. */
  loadRun(runId: string): Promise<StoredRun | null>;
  listRuns(): Promise<RunInfo[]>;
  deleteRun(runId: string): Promise<void>;
}

export class MemoryResultsStore implements ResultsStore {
  private readonly runs = new Map<string, StoredRun>();

  async saveRun(info: RunInfo): Promise<void> {
    const existing = this.runs.get(info.id);
    this.runs.set(info.id, { info: structuredClone(info), records: existing?.records ?? [] });
  }

  async appendRecords(runId: string, records: readonly ProblemRecord[]): Promise<void> {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`no run "${runId}" to append to (save the run first)`);
    run.records.push(...records.map((r) => structuredClone(r)));
  }

  async loadRun(runId: string): Promise<StoredRun | null> {
    const run = this.runs.get(runId);
    return run ? structuredClone(run) : null;
  }

  async listRuns(): Promise<RunInfo[]> {
    return [...this.runs.values()].map((r) => structuredClone(r.info)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async deleteRun(runId: string): Promise<void> {
    this.runs.delete(runId);
  }
}

import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProblemRecord, RunInfo } from './records';
import type { ResultsStore, StoredRun } from './resultsStore';

/**
 * Runs in a directory on disk, laid out as the OPFS store lays them out in the page: `<root>/<runId>/info.json`
 * and `<root>/<runId>/records.jsonl` (one record per line, appended as problems finish), so a stopped
 * `lora-lab eval` resumes from what reached the disk. Node only (the CLI).
 */
export class FsResultsStore implements ResultsStore {
  constructor(readonly root: string) {}

  runDir(runId: string): string {
    if (!/^[\w.-]+$/.test(runId) || /^\.+$/.test(runId))
      throw new Error(`run id "${runId}" may only hold letters, digits, "_", "-" and "."`);
    return join(this.root, runId);
  }

  async saveRun(info: RunInfo): Promise<void> {
    const dir = this.runDir(info.id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'info.json'), JSON.stringify(info) + '\n');
  }

  async appendRecords(runId: string, records: readonly ProblemRecord[]): Promise<void> {
    const dir = this.runDir(runId);
    if (!existsSync(join(dir, 'info.json'))) throw new Error(`no run "${runId}" to append to (save the run first)`);
    if (records.length === 0) return;
    appendFileSync(join(dir, 'records.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }

  async loadRun(runId: string): Promise<StoredRun | null> {
    const dir = this.runDir(runId);
    if (!existsSync(join(dir, 'info.json'))) return null;
    const info = JSON.parse(readFileSync(join(dir, 'info.json'), 'utf8')) as RunInfo;
    const recordsFile = join(dir, 'records.jsonl');
    const lines = existsSync(recordsFile)
      ? readFileSync(recordsFile, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
      : [];
    return { info, records: lines.map((l) => JSON.parse(l) as ProblemRecord) };
  }

  async listRuns(): Promise<RunInfo[]> {
    if (!existsSync(this.root)) return [];
    const runs: RunInfo[] = [];
    for (const entry of readdirSync(this.root, { withFileTypes: true })) {
      const info = join(this.root, entry.name, 'info.json');
      if (entry.isDirectory() && existsSync(info)) runs.push(JSON.parse(readFileSync(info, 'utf8')) as RunInfo);
    }
    return runs.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async deleteRun(runId: string): Promise<void> {
    rmSync(this.runDir(runId), { recursive: true, force: true });
  }
}

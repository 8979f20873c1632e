import type { ProblemRecord, RunInfo } from './records';
import type { ResultsStore, StoredRun } from './resultsStore';

/**
 * Runs in the origin-private file system: `<root>/<runId>/info.json` and `<root>/<runId>/records.jsonl`, one
 * record per line, appended as problems finish. `root` is a directory handle, e.g.
 * `await (await navigator.storage.getDirectory()).getDirectoryHandle('eval-runs', { create: true })`.
 */
export class OpfsResultsStore implements ResultsStore {
  constructor(private readonly root: FileSystemDirectoryHandle) {}

  static async open(name = 'eval-runs'): Promise<OpfsResultsStore> {
    const origin = await navigator.storage.getDirectory();
    return new OpfsResultsStore(await origin.getDirectoryHandle(name, { create: true }));
  }

  private async runDir(runId: string, create: boolean): Promise<FileSystemDirectoryHandle | null> {
    if (!/^[\w.-]+$/.test(runId)) throw new Error(`run id "${runId}" may only hold letters, digits, "_", "-" and "."`);
    try {
      return await this.root.getDirectoryHandle(runId, { create });
    } catch (error) {
      if ((error as DOMException).name === 'NotFoundError') return null;
      throw error;
    }
  }

  private async writeText(dir: FileSystemDirectoryHandle, name: string, text: string, append: boolean): Promise<void> {
    const file = await dir.getFileHandle(name, { create: true });
    const writable = await file.createWritable({ keepExistingData: append });
    if (append) await writable.seek((await file.getFile()).size);
    await writable.write(text);
    await writable.close();
  }

  private async readText(dir: FileSystemDirectoryHandle, name: string): Promise<string> {
    try {
      return await (await (await dir.getFileHandle(name)).getFile()).text();
    } catch (error) {
      if ((error as DOMException).name === 'NotFoundError') return '';
      throw error;
    }
  }

  async saveRun(info: RunInfo): Promise<void> {
    const dir = (await this.runDir(info.id, true))!;
    await this.writeText(dir, 'info.json', JSON.stringify(info), false);
  }

  async appendRecords(runId: string, records: readonly ProblemRecord[]): Promise<void> {
    const dir = await this.runDir(runId, false);
    if (!dir) throw new Error(`no run "${runId}" to append to (save the run first)`);
    if (records.length === 0) return;
    await this.writeText(dir, 'records.jsonl', records.map((r) => JSON.stringify(r)).join('\n') + '\n', true);
  }

  async loadRun(runId: string): Promise<StoredRun | null> {
    const dir = await this.runDir(runId, false);
    if (!dir) return null;
    const infoText = await this.readText(dir, 'info.json');
    if (infoText === '') return null;
    const lines = (await this.readText(dir, 'records.jsonl')).split('\n').filter((l) => l.trim() !== '');
    return { info: JSON.parse(infoText) as RunInfo, records: lines.map((l) => JSON.parse(l) as ProblemRecord) };
  }

  async listRuns(): Promise<RunInfo[]> {
    const runs: RunInfo[] = [];
    // `values()` is in every OPFS implementation but not yet in TypeScript's DOM typings.
    const handles = (this.root as unknown as { values(): AsyncIterable<FileSystemHandle> }).values();
    for await (const handle of handles) {
      if (handle.kind !== 'directory') continue;
      const info = await this.readText(handle as FileSystemDirectoryHandle, 'info.json');
      if (info !== '') runs.push(JSON.parse(info) as RunInfo);
    }
    return runs.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async deleteRun(runId: string): Promise<void> {
    if ((await this.runDir(runId, false)) === null) return;
    await this.root.removeEntry(runId, { recursive: true });
  }
}

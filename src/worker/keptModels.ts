import { LabError } from '../errors';
import { sameModel, type ModelIdentity } from './modelIdentity';
import { readJson, storageName, writeJson, type LabStorage, type WriteOptions } from './storage/labStorage';

export type { StorageUsage } from './storage/labStorage';

/** A model file kept in the browser's storage, loadable after a reload without the user's file. */
export interface KeptModel {
  name: string;
  bytes: number;
  identity: ModelIdentity;
  keptAt: string;
}

const ROOT = 'models';
const FILE = 'model.gguf';
const INFO = 'info.json';

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** `models/<name>/model.gguf` and `info.json`. The file is copied in chunks, never whole in memory. */
export class KeptModels {
  constructor(private readonly storage: LabStorage) {}

  /** Refuses a file the storage quota cannot hold, with the numbers, before anything is loaded or copied. */
  async checkRoom(bytes: number, name: string): Promise<void> {
    const usage = await this.storage.usage();
    if (!usage) return;
    const replaced = (await this.info(name))?.bytes ?? 0;
    const free = usage.quotaBytes - usage.usageBytes + replaced;
    if (bytes > free) {
      throw new LabError(
        `keeping it needs ${gib(bytes)}, the browser allows this site ${gib(free)} more (${gib(usage.usageBytes)} used of ${gib(usage.quotaBytes)})`,
        name,
        'Forget a kept model or delete adapters and runs, or load the model without keeping it.',
      );
    }
  }

  async keep(file: Blob, name: string, identity: ModelIdentity, options: WriteOptions = {}): Promise<KeptModel> {
    await this.checkRoom(file.size, name);
    const dir = `${ROOT}/${storageName(name)}`;
    const existing = await this.info(name);
    const kept: KeptModel = { name, bytes: file.size, identity, keptAt: new Date().toISOString() };
    if (existing && sameModel(existing.identity, identity)) return existing;
    // Asked for, not required: without it the browser may evict the file under disk pressure, and loading it again
    // from the user's file still works.
    await this.storage.persist();
    // The description goes last: a listed model always has its whole file.
    await this.storage.remove(`${dir}/${INFO}`);
    await this.storage.write(`${dir}/${FILE}`, file, options);
    await writeJson(this.storage, `${dir}/${INFO}`, kept);
    return kept;
  }

  async list(): Promise<KeptModel[]> {
    const models: KeptModel[] = [];
    for (const dir of await this.storage.list(ROOT)) {
      const info = await readJson<KeptModel>(this.storage, `${ROOT}/${dir}/${INFO}`);
      if (info) models.push(info);
    }
    return models.sort((a, b) => a.keptAt.localeCompare(b.keptAt));
  }

  /** The kept file, named as the user's file was (the loader and messages use the name). */
  async open(name: string): Promise<File> {
    const info = await this.info(name);
    const blob = info && (await this.storage.read(`${ROOT}/${storageName(name)}/${FILE}`));
    if (!info || !blob)
      throw new LabError(
        `no kept model "${name}"`,
        `${this.storage.location} ${ROOT}`,
        'Pick one from the list of kept models, or load the file again.',
      );
    return new File([blob], name);
  }

  async forget(name: string): Promise<void> {
    if (!(await this.info(name)))
      throw new LabError(`no kept model "${name}"`, `${this.storage.location} ${ROOT}`, 'Pick one from the list of kept models.');
    await this.storage.remove(`${ROOT}/${storageName(name)}`);
  }

  private async info(name: string): Promise<KeptModel | undefined> {
    const info = await readJson<KeptModel>(this.storage, `${ROOT}/${storageName(name)}/${INFO}`);
    return info?.name === name ? info : undefined;
  }
}

import { LabError } from '../errors';
import type { LoraConfig } from '../model/lora/lora';
import type { PeftFiles } from '../model/lora/loraPeft';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from '../train/peftFiles';
import type { TrainConfig } from '../train/config';
import type { StepMetrics } from '../train/trainer';
import type { ModelIdentity } from './modelIdentity';
import { readJson, writeJson, type LabStorage } from './storage/labStorage';

/** What an adapter was trained on: the shards and how many of their examples went into each split. */
export interface TrainingDataDescription {
  shards: { name: string; examples: number }[];
  trainExamples: number;
  validationExamples: number;
  trainRows: number;
  validationRows: number;
  seqLen: number;
  /** With a curriculum: each stage's examples and packed rows, in training order. */
  stages?: { name: string; examples: number; rows: number }[];
  /** What rebuilds the run's exact rows from the same shards (absent for adapters trained before it was recorded). */
  rebuild?: { examplesFingerprint: string; validationFraction: number };
}

export interface AdapterSummary {
  id: string;
  name: string;
  /** 'imported': a PEFT adapter added from files, with no training history here. */
  status: 'done' | 'stopped' | 'imported';
  /** The training run's settings (absent for imported adapters). */
  config?: TrainConfig;
  lora: LoraConfig;
  steps: number;
  metrics: StepMetrics[];
  trainExamples: number;
  data?: TrainingDataDescription;
  /** The base model it was trained on, or the model loaded when it was imported. */
  baseModel?: ModelIdentity;
  /** Evaluation runs made with this adapter, oldest first. */
  evaluationRunIds: string[];
  createdAt: string;
}

/** A file to hand to the user's download. */
export interface ExportedFile {
  name: string;
  blob: Blob;
}

const ROOT = 'adapters';
const INFO = 'info.json';

/**
 * Every adapter trained (done or stopped) or imported, kept across reloads: `adapters/<id>/` holds the PEFT
 * files (what export hands out and what `useAdapter` loads) and `info.json` (the summary shown in the lists).
 */
export class AdapterLibrary {
  constructor(private readonly storage: LabStorage) {}

  async list(): Promise<AdapterSummary[]> {
    const summaries: AdapterSummary[] = [];
    for (const id of await this.storage.list(ROOT)) {
      const summary = await readJson<AdapterSummary>(this.storage, `${ROOT}/${id}/${INFO}`);
      if (summary) summaries.push(summary);
    }
    return summaries.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<AdapterSummary> {
    const summary = await readJson<AdapterSummary>(this.storage, `${ROOT}/${checkId(id)}/${INFO}`);
    if (!summary) throw new LabError(`no adapter "${id}" in the library`, 'adapters', 'Pick one from the list of adapters.');
    return summary;
  }

  async has(id: string): Promise<boolean> {
    return (await this.storage.read(`${ROOT}/${checkId(id)}/${INFO}`)) !== undefined;
  }

  /** Saves (or replaces) an adapter: its files first, the summary last, so a listed adapter always has its files. */
  async save(summary: AdapterSummary, files: PeftFiles): Promise<void> {
    const dir = `${ROOT}/${checkId(summary.id)}`;
    await this.storage.write(`${dir}/${PEFT_CONFIG_FILE}`, files.config);
    await this.storage.write(`${dir}/${PEFT_WEIGHTS_FILE}`, files.weights);
    await writeJson(this.storage, `${dir}/${INFO}`, summary);
  }

  async files(id: string): Promise<PeftFiles> {
    const dir = `${ROOT}/${checkId(id)}`;
    const [config, weights] = [
      await this.storage.read(`${dir}/${PEFT_CONFIG_FILE}`),
      await this.storage.read(`${dir}/${PEFT_WEIGHTS_FILE}`),
    ];
    if (!config || !weights)
      throw new LabError(
        `adapter "${id}" has lost its files`,
        `${this.storage.location} ${dir}`,
        'Delete it and train or import it again.',
      );
    return { config: await config.text(), weights };
  }

  /** The adapter's PEFT files, for the user's download. */
  async exportFiles(id: string): Promise<ExportedFile[]> {
    await this.get(id);
    const files = await this.files(id);
    return [
      { name: PEFT_CONFIG_FILE, blob: new Blob([files.config], { type: 'application/json' }) },
      { name: PEFT_WEIGHTS_FILE, blob: files.weights },
    ];
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.storage.remove(`${ROOT}/${checkId(id)}`);
  }

  async addEvaluationRun(id: string, runId: string): Promise<void> {
    const summary = await this.get(id);
    if (summary.evaluationRunIds.includes(runId)) return;
    await writeJson(this.storage, `${ROOT}/${id}/${INFO}`, { ...summary, evaluationRunIds: [...summary.evaluationRunIds, runId] });
  }

  /** The adapter an evaluation run was made with, by run id. */
  async adaptersByRun(): Promise<Map<string, AdapterSummary>> {
    const byRun = new Map<string, AdapterSummary>();
    for (const a of await this.list()) for (const runId of a.evaluationRunIds) byRun.set(runId, a);
    return byRun;
  }
}

/** The config and weights among files the user chose (by name: adapter_config.json or any .json, any .safetensors). */
export async function pickPeftFiles(files: Blob[]): Promise<PeftFiles> {
  const named = files.map((blob, i) => ({ blob, name: (blob as File).name || `file-${i + 1}` }));
  const config = named.find((f) => f.name === PEFT_CONFIG_FILE) ?? named.find((f) => f.name.endsWith('.json'));
  const weights = named.find((f) => f.name.endsWith('.safetensors'));
  if (!config || !weights) {
    throw new LabError(
      `got ${named.map((f) => f.name).join(', ') || 'no files'}`,
      'importAdapter',
      `Choose both ${PEFT_CONFIG_FILE} and ${PEFT_WEIGHTS_FILE} of a PEFT adapter.`,
    );
  }
  return { config: await config.blob.text(), weights: weights.blob };
}

function checkId(id: string): string {
  if (!/^(?!\.+$)[\w.-]+$/.test(id))
    throw new LabError(`adapter id "${id}" is not a plain name`, 'adapters', 'Pick one from the list of adapters.');
  return id;
}

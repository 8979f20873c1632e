import type { Gpu } from '../gpu/gpu';
import { LabError } from '../errors';
import { examplesIn, type ExampleSource } from '../data/example';
import { examplesFingerprint } from '../data/examplesFingerprint';
import type { Model } from '../model/model';
import type { LoraAdapter } from '../model/lora/lora';
import { exportPeft } from '../model/lora/loraPeft';
import type { Tokenizer } from '../tokenizer';
import { deserializeCheckpoint, type CheckpointStore } from '../train/checkpoint';
import { checkTrainConfig, type TrainConfig } from '../train/config';
import { assertTrainingPlanFits, planTrainingOnLoadedModel } from '../train/trainingMemoryPlan';
import { prepareTrainingData, type PreparedData } from '../train/prepareData';
import { Trainer, type StepMetrics } from '../train/trainer';
import type { AdapterLibrary, AdapterSummary, TrainingDataDescription } from './adapterLibrary';
import { requireModel, type ModelIdentity } from './modelIdentity';
import { readJson, storageName, writeJson, type LabStorage } from './storage/labStorage';
import { PackedRowsFile, PackedRowsWriter } from './storage/packedRowsFile';

import { checkRunLength, planRun, trainConfigFromRequest, type TrainingPlan, type TrainRequest } from './trainRequest';

export type { AdapterSummary, ExportedFile, TrainingDataDescription } from './adapterLibrary';
export type { TrainingPlan, TrainRequest } from './trainRequest';

/** A run that did not finish: stopped by the user (a pause) or cut off by a reload, crash or device loss. */
export interface InterruptedRun {
  runId: string;
  name: string;
  status: 'stopped' | 'interrupted';
  /** Optimizer steps saved in the last checkpoint (0 before the first one), of `steps`. */
  step: number;
  steps: number;
  /** The base model the run needs loaded to continue. */
  model: ModelIdentity;
  config: TrainConfig;
  data: TrainingDataDescription;
  /** Metrics of steps 1..step. */
  metrics: StepMetrics[];
  lastMetrics?: StepMetrics;
  createdAt: string;
  updatedAt: string;
}

/** What the engine needs to train on the loaded model. */
export interface TrainingContext {
  gpu: Gpu;
  model: Model;
  tokenizer: Tokenizer;
  identity: ModelIdentity;
  /** GPU memory the lab may use (the engine's budget), besides the device's buffer limits. */
  memoryBudgetBytes?: number;
}

/** Refuses, before anything is stored or allocated, a run whose memory plan does not fit, with its numbers. */
function checkTrainingFits(context: TrainingContext, config: TrainConfig): void {
  const { gpu, model } = context;
  assertTrainingPlanFits(planTrainingOnLoadedModel(model.config, model.memoryPlan(), gpu.limits, config, context.memoryBudgetBytes));
}

export interface TrainedAdapter {
  summary: AdapterSummary;
  /** On the GPU, ready for `Model.useAdapter`; the caller owns it. */
  adapter: LoraAdapter;
}

interface RunRecord {
  id: string;
  name: string;
  config: TrainConfig;
  model: ModelIdentity;
  data: TrainingDataDescription;
  /** 'storing' until data.bin and progress.json are written. */
  status: 'storing' | 'running' | 'stopped';
  createdAt: string;
  updatedAt: string;
}

/** run.json while the rows are being packed: enough to recognise the run and clear it if it was cut off. */
type StoringRecord = Pick<RunRecord, 'id' | 'name' | 'model' | 'createdAt' | 'updatedAt'> & { status: 'storing' };

interface RunProgress {
  step: number;
  metrics: StepMetrics[];
}

const ROOT = 'runs';
/** A run still 'storing' after this long was cut off (storing takes seconds), not being stored by another tab. */
const ABANDONED_AFTER_MS = 10 * 60_000;

function describeData(
  examples: ExampleSource,
  prepared: PreparedData,
  seqLen: number,
  validationFraction: number,
): TrainingDataDescription {
  const counts = new Map<string, number>();
  for (const e of examplesIn(examples)) counts.set(e.shard, (counts.get(e.shard) ?? 0) + 1);
  return {
    shards: [...counts].map(([name, n]) => ({ name, examples: n })),
    trainExamples: prepared.trainExamples,
    validationExamples: prepared.validationExamples,
    trainRows: prepared.train.length,
    validationRows: prepared.validation.length,
    seqLen,
    ...(prepared.stages && { stages: prepared.stages }),
    rebuild: { examplesFingerprint: examplesFingerprint(examplesIn(examples)), validationFraction },
  };
}

/**
 * Training runs kept in storage so they survive a reload: `runs/<id>/` holds run.json (config, base model, data
 * description, status), data.bin (the packed token rows, so the user's shards are not needed again),
 * progress.json (metrics up to the last checkpoint) and checkpoint.safetensors. A finished run's folder is
 * removed once its adapter is in the library; a stopped or cut-off one stays until resumed or discarded.
 */
export class TrainingRuns {
  /** Runs training in this engine right now (not offered as interrupted). */
  private readonly active = new Set<string>();

  constructor(
    private readonly storage: LabStorage,
    private readonly library: AdapterLibrary,
  ) {}

  /** A run (and adapter) id from the name, unused in the library and among stored runs. */
  async newId(name: string): Promise<string> {
    const base = storageName(name);
    const taken = new Set([...(await this.storage.list(ROOT)), ...(await this.storage.list('adapters')), ...this.active]);
    let n = 1;
    while (taken.has(`${base}-${n}`)) n++;
    return `${base}-${n}`;
  }

  async start(
    context: TrainingContext,
    examples: ExampleSource,
    request: TrainRequest,
    signal: AbortSignal,
    onMetrics?: (m: StepMetrics) => void,
    onPlanned?: (plan: TrainingPlan) => void,
  ): Promise<TrainedAdapter> {
    if (examples.length === 0) throw new LabError('there is no training data', 'train', 'Add shards in the Data panel first.');
    checkRunLength(request);
    // A request that cannot run is refused before anything is stored, so it never shows up as an interrupted run.
    // Epochs become steps only once the data is packed: until then everything but the step count is checked.
    const unplanned = trainConfigFromRequest(request, request.steps ?? Math.max(1, request.warmupSteps));
    checkTrainConfig(unplanned);
    checkTrainingFits(context, unplanned);
    const validationFraction = request.validationFraction ?? 0.1;
    const runId = await this.newId(request.name);
    const dir = `${ROOT}/${runId}`;
    this.active.add(runId);
    try {
      const now = new Date().toISOString();
      // Marked 'storing' while the rows are packed into data.bin: a run cut off before they are complete is cleared.
      await writeJson(this.storage, `${dir}/run.json`, {
        id: runId,
        name: request.name,
        model: context.identity,
        status: 'storing',
        createdAt: now,
        updatedAt: now,
      } satisfies StoringRecord);
      const file = await this.storage.openScratch(`${dir}/data.bin`);
      let prepared: PreparedData;
      let rows: PackedRowsFile;
      let config: TrainConfig;
      try {
        prepared = prepareTrainingData(
          examples,
          context.tokenizer,
          { seqLen: request.seqLen, seed: request.seed, validationFraction, curriculum: request.curriculum },
          new PackedRowsWriter(file, request.seqLen),
        );
        rows = PackedRowsFile.open(file, `${this.storage.location} ${dir}/data.bin`);
        const plan = planRun(runId, request, { trainRows: prepared.train.length, stages: prepared.stages });
        config = trainConfigFromRequest(request, plan.steps);
        checkTrainConfig(config);
        onPlanned?.(plan);
      } catch (error) {
        file.close();
        await this.storage.remove(dir);
        throw error;
      }
      return await this.startRun(
        context,
        runId,
        describeData(examples, prepared, config.seqLen, validationFraction),
        rows,
        config,
        request.name,
        now,
        onMetrics,
        signal,
      );
    } finally {
      this.active.delete(runId);
    }
  }

  private async startRun(
    context: TrainingContext,
    runId: string,
    data: TrainingDataDescription,
    rows: PackedRowsFile,
    config: TrainConfig,
    name: string,
    createdAt: string,
    onMetrics: ((m: StepMetrics) => void) | undefined,
    signal: AbortSignal,
  ): Promise<TrainedAdapter> {
    const record: RunRecord = {
      id: runId,
      name,
      config,
      model: context.identity,
      data,
      status: 'running',
      createdAt,
      updatedAt: new Date().toISOString(),
    };
    let trained = false;
    const onStep = (m: StepMetrics) => {
      trained = true;
      onMetrics?.(m);
    };
    try {
      await writeJson(this.storage, `${ROOT}/${runId}/progress.json`, { step: 0, metrics: [] } satisfies RunProgress);
      await writeJson(this.storage, `${ROOT}/${runId}/run.json`, record);
      return await this.run(context, record, rows, undefined, [], signal, onStep);
    } catch (error) {
      // Failed before its first step (the data does not fit the model, out of GPU memory): nothing to resume.
      rows.close();
      if (!trained) await this.storage.remove(`${ROOT}/${runId}`);
      throw error;
    }
  }

  async resume(
    context: TrainingContext,
    runId: string,
    signal: AbortSignal,
    onMetrics?: (m: StepMetrics) => void,
  ): Promise<TrainedAdapter> {
    const record = await this.record(runId);
    if (this.active.has(runId)) throw new LabError(`run "${runId}" is already training`, 'resumeTraining', 'Wait for it or stop it first.');
    if (record.status === 'storing')
      throw new LabError(`run "${runId}" is still being stored`, 'resumeTraining', 'Wait for it to start training.');
    requireModel(context.identity, record.model, 'resumeTraining');
    checkTrainingFits(context, record.config);
    if (!(await this.storage.list(`${ROOT}/${runId}`)).includes('data.bin'))
      throw new LabError(`run "${runId}" has lost its data`, `${this.storage.location} ${ROOT}/${runId}`, 'Discard it and train again.');
    const file = await this.storage.openScratch(`${ROOT}/${runId}/data.bin`);
    let data: PackedRowsFile;
    try {
      data = PackedRowsFile.open(file, `${this.storage.location} ${ROOT}/${runId}/data.bin`);
    } catch (error) {
      file.close();
      throw error;
    }
    const blob = await this.checkpointStore(runId).load();
    const checkpoint = blob && (await deserializeCheckpoint(blob, `${ROOT}/${runId}/checkpoint.safetensors`));
    const progress = (await readJson<RunProgress>(this.storage, `${ROOT}/${runId}/progress.json`)) ?? { step: 0, metrics: [] };
    // Steps after the checkpoint are trained again (identically), so their stored metrics are dropped.
    const history = progress.metrics.filter((m) => m.step <= (checkpoint?.step ?? 0));
    for (const m of history) onMetrics?.(m);
    return this.run(
      context,
      { ...record, status: 'running', updatedAt: new Date().toISOString() },
      data,
      checkpoint,
      history,
      signal,
      onMetrics,
    );
  }

  /** Trains on `data`, which it closes (a finished run's folder is removed, data.bin with it). */
  private async run(
    context: TrainingContext,
    record: RunRecord,
    data: PackedRowsFile,
    checkpoint: Awaited<ReturnType<typeof deserializeCheckpoint>> | undefined,
    history: StepMetrics[],
    signal: AbortSignal,
    onMetrics?: (m: StepMetrics) => void,
  ): Promise<TrainedAdapter> {
    const { gpu, model } = context;
    const dir = `${ROOT}/${record.id}`;
    const metrics = [...history];
    const store = this.checkpointStore(record.id, () =>
      writeJson(this.storage, `${dir}/progress.json`, { step: metrics.at(-1)?.step ?? 0, metrics } satisfies RunProgress),
    );
    const options = { store, onMetrics: (m: StepMetrics) => void (metrics.push(m), onMetrics?.(m)) };
    this.active.add(record.id);
    try {
      await writeJson(this.storage, `${dir}/run.json`, record);
      const trainer = checkpoint
        ? Trainer.resume(gpu, model, data, checkpoint, options)
        : Trainer.start(gpu, model, data, record.config, options);
      try {
        const result = await trainer.run(signal);
        data.close();
        const values = await trainer.adapter.readValues();
        const previous = (await this.library.has(record.id)) ? await this.library.get(record.id) : undefined;
        const summary: AdapterSummary = {
          id: record.id,
          name: record.name,
          status: result.status,
          config: record.config,
          lora: record.config.lora,
          steps: result.step,
          metrics,
          trainExamples: record.data.trainExamples,
          data: record.data,
          baseModel: record.model,
          evaluationRunIds: previous?.evaluationRunIds ?? [],
          createdAt: record.createdAt,
        };
        await this.library.save(summary, exportPeft(model.config, record.config.lora, values, record.model.fileName));
        if (result.status === 'done') await this.storage.remove(dir);
        else
          await writeJson(this.storage, `${dir}/run.json`, {
            ...record,
            status: 'stopped',
            updatedAt: new Date().toISOString(),
          } satisfies RunRecord);
        return { summary, adapter: trainer.adapter };
      } catch (error) {
        trainer.adapter.free();
        throw error;
      } finally {
        trainer.free();
      }
    } finally {
      data.close();
      this.active.delete(record.id);
    }
  }

  async interrupted(): Promise<InterruptedRun[]> {
    const runs: InterruptedRun[] = [];
    for (const id of await this.storage.list(ROOT)) {
      if (this.active.has(id)) continue;
      const record = await readJson<RunRecord>(this.storage, `${ROOT}/${id}/run.json`);
      if (!record) continue;
      if (record.status === 'storing') {
        // Being stored by another tab, or cut off while it was (then cleared once surely abandoned).
        if (Date.now() - Date.parse(record.updatedAt) > ABANDONED_AFTER_MS) await this.storage.remove(`${ROOT}/${id}`);
        continue;
      }
      const progress = (await readJson<RunProgress>(this.storage, `${ROOT}/${id}/progress.json`)) ?? { step: 0, metrics: [] };
      runs.push({
        runId: id,
        name: record.name,
        status: record.status === 'stopped' ? 'stopped' : 'interrupted',
        step: progress.step,
        steps: record.config.steps,
        model: record.model,
        config: record.config,
        data: record.data,
        metrics: progress.metrics,
        lastMetrics: progress.metrics.at(-1),
        createdAt: record.createdAt,
        updatedAt: record.updatedAt,
      });
    }
    return runs.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** The base model a stored run needs loaded to continue. */
  async modelOf(runId: string): Promise<ModelIdentity> {
    return (await this.record(runId)).model;
  }

  async discard(runId: string): Promise<void> {
    await this.record(runId);
    if (this.active.has(runId)) throw new LabError(`run "${runId}" is training`, 'discardRun', 'Stop it first.');
    await this.storage.remove(`${ROOT}/${runId}`);
  }

  private async record(runId: string): Promise<RunRecord> {
    if (!/^(?!\.+$)[\w.-]+$/.test(runId))
      throw new LabError(`run id "${runId}" is not a plain name`, 'runs', 'Pick a run from the list of interrupted runs.');
    const record = await readJson<RunRecord>(this.storage, `${ROOT}/${runId}/run.json`);
    if (!record) throw new LabError(`no interrupted run "${runId}"`, 'runs', 'Pick a run from the list of interrupted runs.');
    return record;
  }

  /** The run's checkpoint in storage; `beforeSave` writes the metrics first, so they always cover the checkpoint. */
  private checkpointStore(runId: string, beforeSave?: () => Promise<void>): CheckpointStore {
    const path = `${ROOT}/${runId}/checkpoint.safetensors`;
    const storage = this.storage;
    return {
      location: `${storage.location} ${path}`,
      async save(checkpoint: Blob) {
        await beforeSave?.();
        await storage.write(path, checkpoint);
      },
      load: () => storage.read(path),
    };
  }
}

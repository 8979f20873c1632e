import type { Gpu } from '../gpu/gpu';
import { describeGpuAdapter } from '../gpu/acquire';
import type {
  GenerateBatchRequest,
  GenerateRequest,
  GpuStatus,
  LabEngineApi,
  LoadModelOptions,
  MatmulCheckRequest,
  MatmulCheckResult,
  ModelInfo,
  ModelSizes,
  Progress,
} from './api';
import type { CompareRunsOptions, EvaluationRunSummary } from './api';
import { Model } from '../model/model';
import { generate, type GenerateResult } from '../model/generate';
import { generateBatch } from '../model/generateBatch';
import { Tokenizer, vocabFromGguf } from '../tokenizer';
import { exportRunForCluster } from './clusterExportJob';
import { JobRegistry, type RunningJob } from './jobs';
import { DatasetWorkspace, type AddShardsResult, type DataSummary, type DatasetOptions, type EvalSetSummary } from './datasets';
import { TrainingRuns, type InterruptedRun, type TrainingContext, type TrainingPlan, type TrainRequest } from './training';
import { AdapterLibrary, type AdapterSummary, type ExportedFile } from './adapterLibrary';
import { exportMergedModel, ggufLoraExport, readAdapterImport, type AdapterExportFormat } from './adapterFormats';
import type { QuantizableType } from '../formats/quant';
import { ResidentAdapters } from './residentAdapters';
import { KeptModels, type KeptModel } from './keptModels';
import { modelIdentity, requireModel } from './modelIdentity';
import { scalingExperiment, type ScalingProgress, type ScalingRequest, type ScalingResult } from './scaling';
import type { LabStorage, StorageUsage } from './storage/labStorage';
import { browserLabStorage } from './storage/opfsStorage';
import { examplesIn, type ExampleSource } from '../data/example';
import type { FieldMap } from '../data/schemas';
import { LoraAdapter } from '../model/lora/lora';
import { importPeftValues } from '../model/lora/loraPeft';
import type { StepMetrics } from '../train/trainer';
import { checkMatmul } from './matmulCheck';
import { LabError } from '../errors';
import { sourceName, type ByteSource } from '../formats/byteSource';
import type { DeviceLostEvent } from '../gpu/gpu';
import type { EvaluationEnvironment, EvaluationOutcome, EvaluationProgress, EvaluationRequest } from '../eval/evaluation';
import { browserEvaluationEnvironment } from '../eval/browserEnvironment';
import { exportCsv, exportJsonl, summarise } from '../eval/records';
import { compareRuns, type RunComparison } from '../eval/compareRuns';
import type { ResultsStore, StoredRun } from '../eval/resultsStore';

/**
 * The engine behind the worker API. It runs wherever a `Gpu` can be opened: in the page's worker
 * (navigator.gpu) and in Node (Dawn) for the CLI and tests.
 */
export class Engine implements LabEngineApi {
  private gpu: Gpu | undefined;
  private readonly jobs = new JobRegistry();
  private loaded: { model: Model; tokenizer: Tokenizer; info: ModelInfo; source: Blob | ByteSource } | undefined;
  private readonly datasets: DatasetWorkspace;
  private readonly residentAdapters = new ResidentAdapters();
  private readonly library: AdapterLibrary;
  private readonly trainingRuns: TrainingRuns;
  private readonly keptFiles: KeptModels;
  /** GPU memory the lab may use (browsers do not report it): loading and training plans above it are refused. */
  private memoryBudgetBytes: number | undefined;

  /**
   * `evaluationEnv`: where evaluation runs are kept and sample problems found (OPFS and fetch in the page).
   * `storage`: where training runs, the adapters library and kept model files live (OPFS in the page; a
   * directory or memory in Node) — an Engine over the same storage after a reload finds them all again.
   * `datasets`: how shards are cleaned and whether their examples are kept (the page keeps them to train on).
   */
  constructor(
    private readonly openGpu: () => Promise<Gpu>,
    private readonly evaluationEnv: EvaluationEnvironment = browserEvaluationEnvironment(),
    private readonly storage: LabStorage = browserLabStorage(),
    datasets: DatasetOptions = {},
  ) {
    this.datasets = new DatasetWorkspace(datasets, storage);
    this.library = new AdapterLibrary(storage);
    this.trainingRuns = new TrainingRuns(storage, this.library);
    this.keptFiles = new KeptModels(storage);
  }

  async init(): Promise<GpuStatus> {
    this.gpu ??= await this.openGpu();
    return this.status();
  }

  async status(): Promise<GpuStatus> {
    const gpu = this.requireGpu();
    return { gpuAdapter: gpu.info, gpuAdapterName: describeGpuAdapter(gpu.info), features: gpu.features, limits: gpu.limits };
  }

  async memory() {
    return this.requireGpu().buffers.snapshot();
  }

  async onDeviceLost(listener: (event: DeviceLostEvent) => void): Promise<void> {
    this.requireGpu().onLost(listener);
  }

  async checkMatmul(request: MatmulCheckRequest, jobId: string, onProgress?: (p: Progress) => void): Promise<MatmulCheckResult> {
    const gpu = this.requireGpu();
    const job = { id: jobId, label: 'the GPU check', usesModel: false, action: 'checkMatmul' };
    return this.jobs.run(job, (signal) => checkMatmul(gpu, request, signal, onProgress));
  }

  async loadModel(
    file: Blob | ByteSource,
    jobId: string,
    onProgress?: (p: Progress) => void,
    options: LoadModelOptions = {},
  ): Promise<ModelInfo> {
    const fileName = sourceName(file, 'model.gguf');
    const toKeep = options.keep ? keepable(file) : undefined;
    // Before anything is read: a 4 GB file the storage cannot hold is refused with the numbers, not after the load.
    if (toKeep) await this.keptFiles.checkRoom(toKeep.size, fileName);
    return this.withModelJob(jobId, fileName, async (signal) => {
      const info = await this.load(file, fileName, signal, onProgress, options);
      if (toKeep) {
        await this.keptFiles.keep(toKeep, fileName, info.identity, {
          signal,
          onProgress: (done, total) => onProgress?.({ done, total, unit: 'bytes', message: 'keeping' }),
        });
      }
      return info;
    });
  }

  async keptModels(): Promise<KeptModel[]> {
    return this.keptFiles.list();
  }

  async loadKeptModel(name: string, jobId: string, onProgress?: (p: Progress) => void): Promise<ModelInfo> {
    const file = await this.keptFiles.open(name);
    return this.withModelJob(jobId, name, (signal) => this.load(file, name, signal, onProgress));
  }

  async forgetModel(name: string): Promise<void> {
    await this.keptFiles.forget(name);
  }

  async storageUsage(): Promise<StorageUsage | undefined> {
    return this.storage.usage();
  }

  /** Runs `work` as a job that replaces the loaded model: a model job, since replacing it under another would free it. */
  private async withModelJob(jobId: string, fileName: string, work: (signal: AbortSignal) => Promise<ModelInfo>): Promise<ModelInfo> {
    this.requireGpu();
    return this.jobs.run({ id: jobId, label: `loading ${fileName}`, usesModel: true, action: 'loadModel' }, work);
  }

  private async load(
    file: Blob | ByteSource,
    fileName: string,
    signal: AbortSignal,
    onProgress?: (p: Progress) => void,
    sizes: ModelSizes = {},
  ): Promise<ModelInfo> {
    const gpu = this.requireGpu();
    const started = performance.now();
    const model = await Model.load(gpu, file, {
      signal,
      onProgress: (p) => onProgress?.({ done: p.bytesDone, total: p.bytesTotal, unit: 'bytes', message: p.tensor }),
      maxContext: sizes.maxContext,
      maxStepTokens: sizes.maxStepTokens,
      budgetBytes: this.memoryBudgetBytes,
    });
    try {
      const tokenizer = new Tokenizer(vocabFromGguf(model.file, fileName));
      const bytesByType: Record<string, number> = {};
      let parameters = 0;
      for (const t of model.file.tensors) {
        bytesByType[t.type.name] = (bytesByType[t.type.name] ?? 0) + t.byteLength;
        parameters += t.dims.reduce((a, b) => a * b, 1);
      }
      const info: ModelInfo = {
        fileName,
        fileBytes: file.size,
        identity: await modelIdentity(file, fileName, model.file.dataOffset),
        config: model.config,
        parameters,
        bytesByType,
        tokenizer: tokenizer.vocab.model === 'llama' ? 'SentencePiece' : `byte-level BPE (${tokenizer.vocab.pre})`,
        memoryPlan: model.memoryPlan(),
        loadSeconds: (performance.now() - started) / 1000,
      };
      // The adapters on the GPU were made for the old model's shapes.
      this.residentAdapters.clear();
      this.loaded?.model.free();
      this.loaded = { model, tokenizer, info, source: file };
      return info;
    } catch (error) {
      model.free();
      throw error;
    }
  }

  async modelInfo(): Promise<ModelInfo | undefined> {
    return this.loaded?.info;
  }

  async generate(request: GenerateRequest, jobId: string, onText?: (text: string) => void): Promise<GenerateResult> {
    const { model, tokenizer, info } = this.requireModel('generate');
    return this.modelJob(jobId, `generation from ${info.fileName}`, 'generate', (signal) =>
      generate(model, tokenizer, request.prompt, { ...request, signal, onText }),
    );
  }

  async generateBatch(prompts: string[], request: GenerateBatchRequest, jobId: string): Promise<GenerateResult[]> {
    const { model, tokenizer, info } = this.requireModel('generate');
    const label = `generation of ${prompts.length} prompts from ${info.fileName}`;
    return this.modelJob(jobId, label, 'generate', (signal) => generateBatch(model, tokenizer, prompts, { ...request, signal }));
  }

  /** Runs `work` as a job on the loaded model: refused while another one runs (jobs.ts). */
  private modelJob<T>(jobId: string, label: string, action: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.jobs.run({ id: jobId, label, usesModel: true, action }, work);
  }

  async watchJobs(watcher: (job: RunningJob | undefined) => void): Promise<void> {
    this.jobs.watch(watcher);
  }

  async setMemoryBudget(bytes: number | null): Promise<void> {
    if (bytes !== null && !(Number.isFinite(bytes) && bytes > 0)) {
      throw new LabError(
        `memory budget ${bytes} bytes must be a positive number`,
        'setMemoryBudget',
        'Give the GPU memory the lab may use, or none for no budget.',
      );
    }
    this.memoryBudgetBytes = bytes ?? undefined;
  }

  async cancel(jobId: string): Promise<boolean> {
    return this.jobs.cancel(jobId);
  }

  private requireGpu(): Gpu {
    if (!this.gpu) throw new LabError('the GPU is not open yet', 'engine', 'Call init() first.');
    return this.gpu;
  }

  async evaluate(request: EvaluationRequest, jobId: string, onProgress?: (p: EvaluationProgress) => void): Promise<EvaluationOutcome> {
    const { info } = this.requireModel('evaluate');
    return this.modelJob(jobId, `evaluation of ${info.fileName}`, 'evaluate', (signal) => this.evaluateLoaded(request, signal, onProgress));
  }

  /** Evaluates the loaded model with the adapter in use; the run is named after the adapter and listed with it. */
  private async evaluateLoaded(
    request: EvaluationRequest,
    signal: AbortSignal,
    onProgress?: (p: EvaluationProgress) => void,
  ): Promise<EvaluationOutcome> {
    // Loaded on first use: the grader's CAS (compute-engine) is most of the worker's code, and loading a model
    // or generating should not wait for it.
    const [{ checkEvaluationRequest, evaluate }, { ModelGenerator }] = await Promise.all([
      import('../eval/evaluation'),
      import('../eval/modelGenerator'),
    ]);
    checkEvaluationRequest(request);
    const { model, tokenizer, info } = this.requireModel();
    const adapterId = this.residentAdapters.activeId;
    const adapter = adapterId === null ? undefined : await this.library.get(adapterId);
    const generator = new ModelGenerator(adapter ? `${info.fileName} + ${adapter.name}` : info.fileName, model, tokenizer);
    const store = await this.evaluationEnv.resultsStore();
    const environment = {
      sampleProblems: () => this.evaluationEnv.sampleProblems(),
      shardExamples: (name: string) => {
        const rows = this.datasets.shardExamples(name);
        return rows && rows.length > 0 ? [...examplesIn(rows)] : undefined;
      },
    };
    const outcome = await evaluate({ request, generator, store, environment, signal, onProgress });
    if (adapter) await this.library.addEvaluationRun(adapter.id, outcome.run.id);
    return outcome;
  }

  async evaluationRuns(): Promise<EvaluationRunSummary[]> {
    const store = await this.evaluationEnv.resultsStore();
    const runs: EvaluationRunSummary[] = [];
    const byRun = await this.library.adaptersByRun();
    for (const info of await store.listRuns()) {
      const stored = await store.loadRun(info.id);
      const adapter = byRun.get(info.id);
      if (stored)
        runs.push({
          run: stored.info,
          done: stored.records.length,
          summary: summarise(stored.records),
          ...(adapter && { adapter: { id: adapter.id, name: adapter.name } }),
        });
    }
    return runs;
  }

  async exportEvaluation(runId: string, format: 'jsonl' | 'csv'): Promise<string> {
    const run = await this.storedRun(await this.evaluationEnv.resultsStore(), runId);
    return format === 'csv' ? exportCsv(run.records) : exportJsonl(run.info, run.records);
  }

  async deleteEvaluation(runId: string): Promise<void> {
    await (await this.evaluationEnv.resultsStore()).deleteRun(runId);
  }

  async compareRuns(runIds: string[], options: CompareRunsOptions = {}): Promise<RunComparison> {
    const store = await this.evaluationEnv.resultsStore();
    const runs: StoredRun[] = [];
    for (const id of runIds) runs.push(await this.storedRun(store, id));
    return compareRuns(runs, { ...options, seed: options.seed ?? 0 });
  }

  private async storedRun(store: ResultsStore, runId: string): Promise<StoredRun> {
    const run = await store.loadRun(runId);
    if (!run) throw new LabError(`no evaluation run "${runId}"`, 'results', 'Pick a run from the list of stored runs.');
    return run;
  }

  async addShards(files: Blob[], onProgress?: (p: Progress) => void, fields?: FieldMap): Promise<AddShardsResult> {
    return this.datasets.addShards(files, (name, read, total) => onProgress?.({ done: read, total, unit: 'bytes', message: name }), fields);
  }

  async addEvalSet(file: Blob): Promise<EvalSetSummary> {
    return this.datasets.addEvalSet(file);
  }

  async removeShard(name: string): Promise<void> {
    await this.datasets.removeShard(name);
  }

  async dataSummary(): Promise<DataSummary> {
    return this.datasets.summary(this.loaded?.tokenizer);
  }

  async train(
    request: TrainRequest,
    jobId: string,
    onMetrics?: (m: StepMetrics) => void,
    onPlanned?: (plan: TrainingPlan) => void,
  ): Promise<AdapterSummary> {
    this.requireModel('train');
    return this.modelJob(jobId, `training "${request.name}"`, 'train', (signal) =>
      this.trainOn(this.datasets.examples(), request, signal, onMetrics, onPlanned),
    );
  }

  private async trainOn(
    examples: ExampleSource,
    request: TrainRequest,
    signal: AbortSignal,
    onMetrics?: (m: StepMetrics) => void,
    onPlanned?: (plan: TrainingPlan) => void,
  ): Promise<AdapterSummary> {
    const context = this.trainingContext();
    const { summary, adapter } = await this.trainingRuns.start(context, examples, request, signal, onMetrics, onPlanned);
    this.residentAdapters.put(context.model, summary.id, adapter);
    return summary;
  }

  async interruptedRuns(): Promise<InterruptedRun[]> {
    return this.trainingRuns.interrupted();
  }

  async resumeTraining(runId: string, jobId: string, onMetrics?: (m: StepMetrics) => void): Promise<AdapterSummary> {
    if (!this.loaded) requireModel(undefined, await this.trainingRuns.modelOf(runId), 'resumeTraining');
    const context = this.trainingContext();
    return this.modelJob(jobId, `training "${runId}"`, 'resumeTraining', async (signal) => {
      const { summary, adapter } = await this.trainingRuns.resume(context, runId, signal, onMetrics);
      this.residentAdapters.put(context.model, summary.id, adapter);
      return summary;
    });
  }

  async discardRun(runId: string): Promise<void> {
    await this.trainingRuns.discard(runId);
  }

  async adapters(): Promise<AdapterSummary[]> {
    return this.library.list();
  }

  async adapterInUse(): Promise<string | null> {
    return this.residentAdapters.activeId;
  }

  async useAdapter(id: string | null): Promise<void> {
    this.requireModel('useAdapter');
    await this.modelJob(
      newInternalJobId('use-adapter'),
      id === null ? 'switching to the base model' : `switching to adapter "${id}"`,
      'useAdapter',
      () => this.switchAdapter(id),
    );
  }

  /** Within a model job: the adapter generation and evaluation use from now on. */
  private async switchAdapter(id: string | null): Promise<void> {
    const { model } = this.requireModel('useAdapter');
    await this.residentAdapters.use(model, id, async () => {
      await this.library.get(id!);
      const files = await this.library.files(id!);
      const { lora, values } = await importPeftValues(model.config, files);
      return LoraAdapter.fromValues(this.requireGpu(), model.config, lora, values);
    });
  }

  async exportAdapter(id: string, format: AdapterExportFormat = 'peft'): Promise<ExportedFile[]> {
    if (format === 'peft') return this.library.exportFiles(id);
    return [await ggufLoraExport(this.library, id, this.requireModel().model.config)];
  }

  async exportMergedModel(id: string, quant: QuantizableType, jobId: string, onProgress?: (p: Progress) => void): Promise<ExportedFile> {
    const { model, info, source } = this.requireModel('exportMergedModel');
    // Reads the model's file and the adapter, not the GPU model, so other jobs may run beside it.
    const job = { id: jobId, label: `merging an adapter into ${info.fileName}`, usesModel: false, action: 'exportMergedModel' };
    return this.jobs.run(job, (signal) =>
      exportMergedModel({
        library: this.library,
        storage: this.storage,
        id,
        model: model.config,
        file: model.file,
        source,
        baseName: info.fileName,
        quant,
        signal,
        onProgress: (done, total) => onProgress?.({ done, total, unit: 'bytes', message: 'merging' }),
      }),
    );
  }

  async exportForCluster(id: string): Promise<ExportedFile[]> {
    const { tokenizer } = this.requireModel('exportForCluster');
    const adapter = await this.library.get(id);
    const job = {
      id: newInternalJobId('export-for-cluster'),
      label: `exporting "${id}" for GPUs`,
      usesModel: false,
      action: 'exportForCluster',
    };
    return this.jobs.run(job, async () => exportRunForCluster(adapter, this.datasets.examples(), tokenizer));
  }

  async importAdapter(files: Blob[], name = 'imported'): Promise<AdapterSummary> {
    const { model, info } = this.requireModel();
    // Reading it against the loaded model checks every tensor's shape before anything is stored.
    const { lora, peft } = await readAdapterImport(model.config, files, info.fileName);
    const summary: AdapterSummary = {
      id: await this.trainingRuns.newId(name),
      name,
      status: 'imported',
      lora,
      steps: 0,
      metrics: [],
      trainExamples: 0,
      baseModel: info.identity,
      evaluationRunIds: [],
      createdAt: new Date().toISOString(),
    };
    await this.library.save(summary, peft);
    return summary;
  }

  async deleteAdapter(id: string): Promise<void> {
    await this.library.get(id);
    // Its GPU copy may be what a running generation or evaluation reads.
    await this.modelJob(newInternalJobId('delete-adapter'), `deleting adapter "${id}"`, 'deleteAdapter', async () => {
      this.residentAdapters.drop(this.loaded?.model, id);
      await this.library.delete(id);
    });
  }

  async scalingExperiment(request: ScalingRequest, jobId: string, onProgress?: (p: ScalingProgress) => void): Promise<ScalingResult> {
    this.requireModel('scalingExperiment');
    return this.modelJob(jobId, `the data-scaling experiment "${request.name}"`, 'scalingExperiment', (signal) =>
      this.runScaling(request, signal, onProgress),
    );
  }

  private async runScaling(
    request: ScalingRequest,
    signal: AbortSignal,
    onProgress?: (p: ScalingProgress) => void,
  ): Promise<ScalingResult> {
    const previous = this.residentAdapters.activeId;
    try {
      const store = await this.evaluationEnv.resultsStore();
      return await scalingExperiment(
        request,
        {
          examples: this.datasets.examples(),
          signal,
          now: () => new Date(),
          train: (examples, trainRequest, onMetrics) => this.trainOn(examples, trainRequest, signal, onMetrics),
          useAdapter: (id) => this.switchAdapter(id),
          evaluate: (evaluationRequest, onEvaluation) => this.evaluateLoaded(evaluationRequest, signal, onEvaluation),
          records: async (runId) => (await this.storedRun(store, runId)).records,
        },
        onProgress,
      );
    } finally {
      // The experiment switched adapters to evaluate them; the user's choice comes back.
      if (this.loaded && (previous === null || (await this.library.has(previous)))) await this.switchAdapter(previous);
    }
  }

  private trainingContext(): TrainingContext {
    const { model, tokenizer, info } = this.requireModel();
    return { gpu: this.requireGpu(), model, tokenizer, identity: info.identity, memoryBudgetBytes: this.memoryBudgetBytes };
  }

  private requireModel(action = 'engine'): { model: Model; tokenizer: Tokenizer; info: ModelInfo; source: Blob | ByteSource } {
    if (!this.loaded) throw new LabError('no model is loaded', action, 'Load a GGUF model first.');
    return this.loaded;
  }
}

/** An id for engine work the page does not cancel (adapter switches), so it can still hold the model as a job. */
function newInternalJobId(kind: string): string {
  return `${kind}-${crypto.randomUUID()}`;
}

/** Storage copies Blobs in chunks; a ByteSource (a file on disk in Node) is only read by range. */
function keepable(file: Blob | ByteSource): Blob {
  if (file instanceof Blob) return file;
  throw new LabError(
    `keeping "${sourceName(file, 'the model')}" needs it as a File or Blob, not a range reader`,
    'loadModel',
    'Load it without keep, or pass the File.',
  );
}

import type { Gpu } from '../gpu/gpu';
import { describeAdapter } from '../gpu/acquire';
import type { GenerateRequest, GpuStatus, LabEngineApi, MatmulCheckRequest, MatmulCheckResult, ModelInfo, Progress } from './api';
import type { CompareRunsOptions, EvaluationRunSummary } from './api';
import { Model } from '../model/model';
import { generate, type GenerateResult } from '../model/generate';
import { planInferenceMemory } from '../model/memoryPlan';
import { Tokenizer, vocabFromGguf } from '../tokenizer';
import { JobRegistry, throwIfCancelled } from './jobs';
import { DatasetWorkspace, type AddShardsResult, type DataSummary, type EvalSetSummary } from './datasets';
import { AdapterShelf, type AdapterSummary, type TrainRequest } from './training';
import type { StepMetrics } from '../train/trainer';
import { matmul } from '../kernels/matmul';
import { matmulReference } from '../kernels/reference/matmul';
import { randomF32 } from '../util/random';
import { LabError } from '../errors';
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
  private loaded: { model: Model; tokenizer: Tokenizer; info: ModelInfo } | undefined;
  private readonly datasets = new DatasetWorkspace();
  private readonly adapterShelf = new AdapterShelf();

  /** `evaluationEnv`: where evaluation runs are kept and sample problems found (OPFS and fetch in the page). */
  constructor(
    private readonly openGpu: () => Promise<Gpu>,
    private readonly evaluationEnv: EvaluationEnvironment = browserEvaluationEnvironment(),
  ) {}

  async init(): Promise<GpuStatus> {
    this.gpu ??= await this.openGpu();
    return this.status();
  }

  async status(): Promise<GpuStatus> {
    const gpu = this.requireGpu();
    return { adapter: gpu.info, adapterName: describeAdapter(gpu.info), features: gpu.features, limits: gpu.limits };
  }

  async memory() {
    return this.requireGpu().buffers.snapshot();
  }

  async onDeviceLost(listener: (event: DeviceLostEvent) => void): Promise<void> {
    this.requireGpu().onLost(listener);
  }

  async checkMatmul(request: MatmulCheckRequest, jobId: string, onProgress?: (p: Progress) => void): Promise<MatmulCheckResult> {
    const gpu = this.requireGpu();
    const { M, N, K, seed } = request;
    const repeats = request.repeats ?? 1;
    const signal = this.jobs.start(jobId);
    const a = randomF32(M * K, seed);
    const b = randomF32(K * N, seed + 1);
    const bufA = gpu.upload(a, { label: 'check A', category: 'scratch' });
    const bufB = gpu.upload(b, { label: 'check B', category: 'scratch' });
    const bufC = gpu.alloc(M * N * 4, { label: 'check C', category: 'scratch' });
    try {
      const start = performance.now();
      for (let i = 0; i < repeats; i++) {
        throwIfCancelled(signal);
        const rec = gpu.recorder();
        matmul(rec, bufA, bufB, bufC, { M, N, K });
        rec.submit();
        await gpu.sync();
        onProgress?.({ done: i + 1, total: repeats, unit: 'multiplies' });
      }
      const gpuMs = (performance.now() - start) / repeats;
      const got = await gpu.readF32(bufC, M * N);
      const want = matmulReference(a, b, { M, N, K });
      let maxAbsError = 0;
      for (let i = 0; i < got.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(got[i] - want[i]));
      // Same bound as the kernel tests: f32 rounding over K products of values in [-1, 1].
      return { M, N, K, seed, maxAbsError, verified: maxAbsError < 4e-6 * K + 1e-6, gpuMs };
    } finally {
      for (const t of [bufA, bufB, bufC]) gpu.buffers.free(t);
      this.jobs.finish(jobId);
    }
  }

  async loadModel(file: Blob, jobId: string, onProgress?: (p: Progress) => void): Promise<ModelInfo> {
    const gpu = this.requireGpu();
    if (this.jobs.ids.length > 0) {
      // Generation, evaluation and training hold the loaded model; replacing it under them would free it.
      throw new LabError('a job is still running on the loaded model', 'loadModel', 'Stop it, or wait until it finishes, then load the new model.');
    }
    const signal = this.jobs.start(jobId);
    const fileName = (file as File).name || 'model.gguf';
    try {
      const started = performance.now();
      const model = await Model.load(gpu, file, {
        signal,
        onProgress: (p) => onProgress?.({ done: p.bytesDone, total: p.bytesTotal, unit: 'bytes', message: p.tensor }),
      });
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
        config: model.config,
        parameters,
        bytesByType,
        tokenizer: tokenizer.vocab.model === 'llama' ? 'SentencePiece' : `byte-level BPE (${tokenizer.vocab.pre})`,
        memoryPlan: planInferenceMemory(model.file, model.config, gpu.limits, { maxContext: model.cache.maxCtx, maxStepTokens: 256 }),
        loadSeconds: (performance.now() - started) / 1000,
      };
      this.loaded?.model.free();
      this.loaded = { model, tokenizer, info };
      return info;
    } finally {
      this.jobs.finish(jobId);
    }
  }

  async modelInfo(): Promise<ModelInfo | undefined> {
    return this.loaded?.info;
  }

  async generate(request: GenerateRequest, jobId: string, onText?: (text: string) => void): Promise<GenerateResult> {
    if (!this.loaded) throw new LabError('no model is loaded', 'generate', 'Load a GGUF model first.');
    const signal = this.jobs.start(jobId);
    try {
      return await generate(this.loaded.model, this.loaded.tokenizer, request.prompt, { ...request, signal, onText });
    } finally {
      this.jobs.finish(jobId);
    }
  }

  async cancel(jobId: string): Promise<boolean> {
    return this.jobs.cancel(jobId);
  }

  private requireGpu(): Gpu {
    if (!this.gpu) throw new LabError('the GPU is not open yet', 'engine', 'Call init() first.');
    return this.gpu;
  }

  async evaluate(request: EvaluationRequest, jobId: string, onProgress?: (p: EvaluationProgress) => void): Promise<EvaluationOutcome> {
    // Loaded on first use: the grader's CAS (compute-engine) is most of the worker's code, and loading a model
    // or generating should not wait for it.
    const [{ checkEvaluationRequest, evaluate }, { ModelGenerator }] = await Promise.all([import('../eval/evaluation'), import('../eval/modelGenerator')]);
    checkEvaluationRequest(request);
    if (!this.loaded) throw new LabError('no model is loaded', 'evaluate', 'Load a GGUF model first.');
    const { model, tokenizer, info } = this.loaded;
    const signal = this.jobs.start(jobId);
    try {
      const name = model.activeAdapter ? `${info.fileName} + LoRA adapter` : info.fileName;
      const generator = new ModelGenerator(name, model, tokenizer);
      const store = await this.evaluationEnv.resultsStore();
      const environment = {
        sampleProblems: () => this.evaluationEnv.sampleProblems(),
        shardExamples: (name: string) => {
          const examples = this.datasets.examples().filter((e) => e.shard === name);
          return examples.length > 0 ? examples : undefined;
        },
      };
      return await evaluate({ request, generator, store, environment, signal, onProgress });
    } finally {
      this.jobs.finish(jobId);
    }
  }

  async evaluationRuns(): Promise<EvaluationRunSummary[]> {
    const store = await this.evaluationEnv.resultsStore();
    const runs: EvaluationRunSummary[] = [];
    for (const info of await store.listRuns()) {
      const stored = await store.loadRun(info.id);
      if (stored) runs.push({ run: stored.info, done: stored.records.length, summary: summarise(stored.records) });
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

  async addShards(files: Blob[], onProgress?: (p: Progress) => void): Promise<AddShardsResult> {
    return this.datasets.addShards(files, (name, read, total) => onProgress?.({ done: read, total, unit: 'bytes', message: name }));
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

  async train(request: TrainRequest, jobId: string, onMetrics?: (m: StepMetrics) => void): Promise<AdapterSummary> {
    const { model, tokenizer } = this.requireModel();
    const signal = this.jobs.start(jobId);
    try {
      return await this.adapterShelf.train(this.requireGpu(), model, tokenizer, this.datasets.examples(), request, signal, onMetrics);
    } finally {
      this.jobs.finish(jobId);
    }
  }

  async adapters(): Promise<AdapterSummary[]> {
    return this.adapterShelf.list();
  }

  async useAdapter(id: string | null): Promise<void> {
    this.requireModel().model.useAdapter(id === null ? undefined : this.adapterShelf.adapter(id));
  }

  private requireModel(): { model: Model; tokenizer: Tokenizer } {
    if (!this.loaded) throw new LabError('no model is loaded', 'engine', 'Load a GGUF model first.');
    return this.loaded;
  }
}

import type { GpuAdapterInfo, GpuFeatures } from '../gpu/acquire';
import type { DeviceLostEvent, GpuLimits } from '../gpu/gpu';
import type { MemorySnapshot } from '../gpu/allocator';
import type { ModelConfig } from '../model/config';
import type { MemoryPlan } from '../model/inferenceMemoryPlan';
import type { GenerateResult } from '../model/generate';
import type { EvaluationOutcome, EvaluationProgress, EvaluationRequest } from '../eval/evaluation';
import type { RunComparison } from '../eval/compareRuns';
import type { AccuracySummary, RunInfo } from '../eval/records';

export type { GenerateResult } from '../model/generate';
import type { AddShardsResult, DataSummary, EvalSetSummary } from './datasets';
import type { FieldMap } from '../data/schemas';

export type { AddShardsResult, DataSummary, EvalSetSummary } from './datasets';
export type { FieldMap } from '../data/schemas';
import type { AdapterSummary, InterruptedRun, ExportedFile } from './training';
import type { TrainingPlan, TrainRequest } from './trainRequest';
import type { StepMetrics } from '../train/trainer';
import type { ModelIdentity } from './modelIdentity';
import type { KeptModel, StorageUsage } from './keptModels';
import type { ScalingProgress, ScalingRequest, ScalingResult } from './scaling';
import type { ByteSource } from '../formats/byteSource';
import type { RunningJob } from './jobs';
import type { QuantizableType } from '../formats/quant';
import type { AdapterExportFormat } from './adapterFormats';

export type { AdapterSummary, InterruptedRun, ExportedFile, TrainingDataDescription } from './training';
export type { AdapterExportFormat } from './adapterFormats';
export type { QuantizableType } from '../formats/quant';
export type { TrainingPlan, TrainRequest } from './trainRequest';
export type { ModelIdentity } from './modelIdentity';
export type { RunningJob } from './jobs';
export type { KeptModel, StorageUsage } from './keptModels';
export type { ScalingPoint, ScalingProgress, ScalingRequest, ScalingResult } from './scaling';
export type { StepMetrics } from '../train/trainer';
export type { BenchmarkSource, EvaluationRequest, EvaluationProgress, EvaluationOutcome } from '../eval/evaluation';
export type { RunComparison } from '../eval/compareRuns';
export type { AccuracySummary, ProblemRecord, RunInfo, Tally } from '../eval/records';
export type { PromptStyle } from '../eval/prompts';
export type { LengthHistogram } from '../data/datasetStats';

// Pure helpers the page runs itself (no GPU, no engine state), re-exported so that the page imports nothing of the
// engine but this module (tests/ui/pageImports.test.ts checks).
export { formatBytes } from '../util/formatBytes';
export { textTable } from '../util/textTable';
export { webGpuMissingError } from '../gpu/messages';
export { detectFormat } from '../eval/benchmarks';

/**
 * The engine's API as the page sees it, through a comlink proxy. This module is all of the engine `src/ui/`
 * imports: its types, and the pure helpers re-exported above. Progress and events come back through
 * `comlink.proxy` callbacks; long work takes a `jobId` that `cancel(jobId)` stops.
 */
export interface GpuStatus {
  gpuAdapter: GpuAdapterInfo;
  gpuAdapterName: string;
  features: GpuFeatures;
  limits: GpuLimits;
}

export interface Progress {
  /** Units done and total (bytes, steps, problems...), named by `unit`. */
  done: number;
  total: number;
  unit: string;
  message?: string;
}

export interface MatmulCheckRequest {
  M: number;
  N: number;
  K: number;
  seed: number;
  /** Repeat the GPU multiply this many times (a longer job, for cancellation). */
  repeats?: number;
}

export interface MatmulCheckResult {
  M: number;
  N: number;
  K: number;
  seed: number;
  maxAbsError: number;
  /** Whether the GPU result matched the CPU reference within tolerance. */
  verified: boolean;
  gpuMs: number;
}

/** What the page shows about a loaded model. */
export interface ModelInfo {
  fileName: string;
  fileBytes: number;
  /** File name, size and a fingerprint of the file: what runs and adapters record as their base model. */
  identity: ModelIdentity;
  config: ModelConfig;
  parameters: number;
  /** Tensor bytes by ggml type, e.g. { Q4_K: …, Q6_K: …, F32: … }. */
  bytesByType: Record<string, number>;
  tokenizer: string;
  memoryPlan: MemoryPlan;
  loadSeconds: number;
}

export interface GenerateRequest {
  prompt: string;
  maxTokens: number;
  /** 0: greedy. */
  temperature: number;
  topK?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
}

/** Several prompts decoded together (`generateBatch`): each gets what `generate` gives it alone. */
export interface GenerateBatchRequest extends Omit<GenerateRequest, 'prompt'> {
  /** Prompts decoded together at most (default 8). */
  batchSize?: number;
}

export interface LabEngineApi {
  /** Opens the WebGPU device. Rejects with a message saying what to do when WebGPU or a GPU adapter is missing. */
  init(): Promise<GpuStatus>;
  status(): Promise<GpuStatus>;
  memory(): Promise<MemorySnapshot>;
  /** Registers a callback for device loss (called once, with the reason). */
  onDeviceLost(listener: (event: DeviceLostEvent) => void): Promise<void>;
  /** Multiplies two seeded random matrices on the GPU and checks the result against a CPU reference. */
  checkMatmul(request: MatmulCheckRequest, jobId: string, onProgress?: (p: Progress) => void): Promise<MatmulCheckResult>;
  /**
   * Streams a GGUF model from the user's file into GPU memory (progress in bytes), after checking its memory plan
   * against the device. The model loaded before stays usable until the new one has loaded.
   * With `keep`, the file is then copied into the browser's storage (streamed in chunks, progress message
   * "keeping"), after checking the storage quota first: a reload can then `loadKeptModel` it without the file.
   * If the copy fails or is cancelled, the call rejects with the reason but the model stays loaded (see `modelInfo`).
   * The page passes the user's File (comlink sends Blobs as they are); Node passes a ByteSource (`openFileSource`),
   * which reads a file over 4 GiB correctly but cannot be kept.
   */
  loadModel(file: Blob | ByteSource, jobId: string, onProgress?: (p: Progress) => void, options?: LoadModelOptions): Promise<ModelInfo>;
  /** Models kept in the browser's storage, oldest first. */
  keptModels(): Promise<KeptModel[]>;
  /** Loads a kept model (as `loadModel` does, from storage instead of the user's file). */
  loadKeptModel(name: string, jobId: string, onProgress?: (p: Progress) => void): Promise<ModelInfo>;
  /** Deletes a kept model from storage (the loaded model, if it is this one, stays loaded). */
  forgetModel(name: string): Promise<void>;
  /** Bytes the origin uses and may use in the browser's storage (undefined where the browser does not say). */
  storageUsage(): Promise<StorageUsage | undefined>;
  modelInfo(): Promise<ModelInfo | undefined>;
  /** Generates from the loaded model, streaming text pieces as they become certain. */
  generate(request: GenerateRequest, jobId: string, onText?: (text: string) => void): Promise<GenerateResult>;
  /** Generates for every prompt, decoding several together; the results in prompt order. */
  generateBatch(prompts: string[], request: GenerateBatchRequest, jobId: string): Promise<GenerateResult[]>;
  cancel(jobId: string): Promise<boolean>;
  /**
   * The job policy: one job at a time uses the loaded model (generation, evaluation, training, loading, adapter
   * switches share its KV cache and adapter); starting another is refused with a message naming the one running.
   * `watcher` is called now with the model job running (or undefined) and again whenever that changes, so the
   * page can show it on the buttons that would be refused.
   */
  watchJobs(watcher: (job: RunningJob | undefined) => void): Promise<void>;
  /**
   * GPU memory the lab may use, in bytes, or null for none (browsers do not report the GPU's memory; the device's
   * buffer limits are always checked). A model or training run whose memory plan needs more is refused before
   * anything is allocated, with the plan's numbers.
   */
  setMemoryBudget(bytes: number | null): Promise<void>;
  /**
   * Evaluates the loaded model on a benchmark (a dropped JSONL file, a loaded shard's answered rows, or the lab's
   * sample problems): greedy answers, graded as they finish, one progress event per problem carrying its record.
   * Results go to the results store as they are graded; cancelling keeps them, and the same `runId` resumes.
   */
  evaluate(request: EvaluationRequest, jobId: string, onProgress?: (p: EvaluationProgress) => void): Promise<EvaluationOutcome>;
  /** Every stored run, oldest first, with how far it got and its accuracy so far. */
  evaluationRuns(): Promise<EvaluationRunSummary[]>;
  /** A stored run as a file to save: JSONL (the run, then one record per problem) or CSV (one row per problem). */
  exportEvaluation(runId: string, format: 'jsonl' | 'csv'): Promise<string>;
  deleteEvaluation(runId: string): Promise<void>;
  /** Side by side: accuracy table with intervals, McNemar per pair, disagreements; over the problems all runs finished. */
  compareRuns(runIds: string[], options?: CompareRunsOptions): Promise<RunComparison>;
  /**
   * Adds training shards (JSONL, JSON array, Parquet, gzip JSONL): each is validated, deduplicated against itself
   * and every shard before it, and decontaminated against the evaluation sets in use. A file that is not a
   * dataset is reported in `failed`; the shards loaded before are untouched. A layout that is not detected is
   * reported with its field names, to retry with `fields` mapping them (applied to every file of the call).
   */
  addShards(files: Blob[], onProgress?: (p: Progress) => void, fields?: FieldMap): Promise<AddShardsResult>;
  /** Decontaminates against this evaluation set from now on, re-cleaning the loaded shards. */
  addEvalSet(file: Blob): Promise<EvalSetSummary>;
  removeShard(name: string): Promise<void>;
  /** Per-shard reports and statistics (token lengths in the loaded model's tokens, when a model is loaded). */
  dataSummary(): Promise<DataSummary>;
  /**
   * Fine-tunes a LoRA adapter on the loaded model and the loaded shards; metrics stream per optimizer step.
   * The run is persisted when it starts (config, prepared token rows, base model identity) and checkpointed every
   * `checkpointEvery` steps and when stopped: cancelling returns status 'stopped' and the run stays resumable
   * (a pause). The adapter (done or stopped) goes into the adapters library; its id is also the run id.
   * `onPlanned` comes once, after the data is packed and before the first step: the run's id and its steps (worked
   * out here when the request gives epochs), for a progress bar from the start.
   */
  train(
    request: TrainRequest,
    jobId: string,
    onMetrics?: (m: StepMetrics) => void,
    onPlanned?: (plan: TrainingPlan) => void,
  ): Promise<AdapterSummary>;
  /** Runs that did not finish (stopped, or cut off by a reload or crash), oldest first, with their metrics so far. */
  interruptedRuns(): Promise<InterruptedRun[]>;
  /**
   * Continues a run from its last checkpoint, exactly as if it had never stopped (same losses and parameters).
   * The loaded model must be the run's base model (refused otherwise, naming the file to load). `onMetrics` first
   * replays the stored steps 1..k, then streams the new ones, so a chart shows the whole run.
   */
  resumeTraining(runId: string, jobId: string, onMetrics?: (m: StepMetrics) => void): Promise<AdapterSummary>;
  /** Deletes a run's checkpoint and data (its adapter, if one was saved when it stopped, stays in the library). */
  discardRun(runId: string): Promise<void>;
  /** The adapters library (trained and imported adapters, kept across reloads), oldest first. */
  adapters(): Promise<AdapterSummary[]>;
  /**
   * Generation and evaluation use this adapter from now on (unmerged), or the base model with `null`. An adapter
   * not on the GPU is loaded from the library; the base model is not reloaded.
   */
  useAdapter(id: string | null): Promise<void>;
  /** The adapter generation and evaluation use now, or null for the base model. */
  adapterInUse(): Promise<string | null>;
  /**
   * The adapter as files to download: PEFT (adapter_config.json and adapter_model.safetensors), or 'gguf-lora',
   * llama.cpp's LoRA GGUF (for `--lora`, an Ollama ADAPTER line, wllama), which needs the base model loaded.
   */
  exportAdapter(id: string, format?: AdapterExportFormat): Promise<ExportedFile[]>;
  /**
   * Merges the adapter into the loaded base model: a standalone GGUF whose adapted weights are re-encoded in
   * `quant` (Q8_0, Q4_0, ...) and whose other tensors are copied. Written into the browser's storage piece by
   * piece (progress in bytes, cancellable), after checking the storage can hold it; the result is that stored
   * file, for the download. A later merge replaces it.
   */
  exportMergedModel(id: string, quant: QuantizableType, jobId: string, onProgress?: (p: Progress) => void): Promise<ExportedFile>;
  /**
   * The adapter's training run for multi-GPU trainers: its exact training and held-out rows as JSON Lines, an axolotl
   * config, a TRL script and a README. The rows are rebuilt from the loaded shards, which must be the ones it was
   * trained on (refused otherwise, naming them); the loaded model's tokenizer finds the rows the lab cut or dropped.
   */
  exportForCluster(id: string): Promise<ExportedFile[]>;
  /**
   * Adds an adapter to the library, a PEFT pair (adapter_config.json and *.safetensors) or llama.cpp's LoRA GGUF
   * (a .gguf with general.type "adapter"), after checking it
   * against the loaded model's shapes (a wrong model or a broken file is refused and nothing is stored); `name`
   * defaults to "imported".
   */
  importAdapter(files: Blob[], name?: string): Promise<AdapterSummary>;
  /** Removes an adapter from the library (and from the GPU; generation falls back to the base model if it was in use). */
  deleteAdapter(id: string): Promise<void>;
  /**
   * Data-scaling experiment: one seeded shuffle of the loaded training examples, an adapter trained on each nested
   * prefix of `sizes` examples (into the library as `<name>-n<size>`), each evaluated on the same problems.
   * Cancelling keeps the sizes that finished; the result has one point per finished size.
   */
  scalingExperiment(request: ScalingRequest, jobId: string, onProgress?: (p: ScalingProgress) => void): Promise<ScalingResult>;
}

/** The model's inference buffers (Model.load's defaults: the model's context, at most 2048; 256-token steps). */
export interface ModelSizes {
  /** Positions the KV cache holds. */
  maxContext?: number;
  /** Tokens per forward step during prefill. */
  maxStepTokens?: number;
}

export interface LoadModelOptions extends ModelSizes {
  /** Copy the file into the browser's storage after loading it. */
  keep?: boolean;
}

export interface EvaluationRunSummary {
  run: RunInfo;
  /** The library adapter the run was made with (absent for the base model, or when the adapter was deleted). */
  adapter?: { id: string; name: string };
  /** Problems graded so far (a stopped run has fewer than `run.problemIds`). */
  done: number;
  summary: AccuracySummary;
}

export interface CompareRunsOptions {
  /** Seed of the bootstrap resampling (default 0), so a comparison is reproducible. */
  seed?: number;
  resamples?: number;
  /** Interval coverage, default 0.95. */
  confidence?: number;
}

import type { AdapterDescription, GpuFeatures } from '../gpu/acquire';
import type { DeviceLostEvent, GpuLimits } from '../gpu/gpu';
import type { MemorySnapshot } from '../gpu/allocator';
import type { ModelConfig } from '../model/config';
import type { MemoryPlan } from '../model/memoryPlan';
import type { GenerateResult } from '../model/generate';
import type { EvaluationOutcome, EvaluationProgress, EvaluationRequest } from '../eval/evaluation';
import type { RunComparison } from '../eval/compareRuns';
import type { AccuracySummary, RunInfo } from '../eval/records';

export type { GenerateResult } from '../model/generate';
import type { AddShardsResult, DataSummary, EvalSetSummary } from './datasets';

export type { AddShardsResult, DataSummary, EvalSetSummary } from './datasets';
import type { AdapterSummary, TrainRequest } from './training';
import type { StepMetrics } from '../train/trainer';

export type { AdapterSummary, TrainRequest } from './training';
export type { StepMetrics } from '../train/trainer';
export type { BenchmarkSource, EvaluationRequest, EvaluationProgress, EvaluationOutcome } from '../eval/evaluation';
export type { RunComparison } from '../eval/compareRuns';
export type { AccuracySummary, ProblemRecord, RunInfo } from '../eval/records';

/**
 * The engine's API as the page sees it, through a comlink proxy. Types only: nothing in `src/ui/` imports
 * engine code. Progress and events come back through `comlink.proxy` callbacks; long work takes a `jobId`
 * that `cancel(jobId)` stops.
 */
export interface GpuStatus {
  adapter: AdapterDescription;
  adapterName: string;
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

export interface LabEngineApi {
  /** Opens the WebGPU device. Rejects with a message saying what to do when WebGPU or an adapter is missing. */
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
   */
  loadModel(file: Blob, jobId: string, onProgress?: (p: Progress) => void): Promise<ModelInfo>;
  modelInfo(): Promise<ModelInfo | undefined>;
  /** Generates from the loaded model, streaming text pieces as they become certain. */
  generate(request: GenerateRequest, jobId: string, onText?: (text: string) => void): Promise<GenerateResult>;
  cancel(jobId: string): Promise<boolean>;
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
   * dataset is reported in `failed`; the shards loaded before are untouched.
   */
  addShards(files: Blob[], onProgress?: (p: Progress) => void): Promise<AddShardsResult>;
  /** Decontaminates against this evaluation set from now on, re-cleaning the loaded shards. */
  addEvalSet(file: Blob): Promise<EvalSetSummary>;
  removeShard(name: string): Promise<void>;
  /** Per-shard reports and statistics (token lengths in the loaded model's tokens, when a model is loaded). */
  dataSummary(): Promise<DataSummary>;
  /** Fine-tunes a LoRA adapter on the loaded model and the loaded shards; metrics stream per optimizer step. */
  train(request: TrainRequest, jobId: string, onMetrics?: (m: StepMetrics) => void): Promise<AdapterSummary>;
  adapters(): Promise<AdapterSummary[]>;
  /** Generation and evaluation use this adapter from now on (unmerged), or the base model with `null`. */
  useAdapter(id: string | null): Promise<void>;
}

export interface EvaluationRunSummary {
  run: RunInfo;
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

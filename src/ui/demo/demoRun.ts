/**
 * The demo as plain steps over the engine API: load the bundled model, load the word-problem shard, train one
 * adapter, evaluate the base model and the adapter on the same problems, compare. The page's "Try the demo" and
 * `npm run demo` (which drives that page) run exactly this; a stop between or inside steps ends it.
 */
import type {
  AdapterSummary,
  EvaluationOutcome,
  EvaluationRequest,
  EvaluationProgress,
  LabEngineApi,
  ModelInfo,
  Progress,
  RunComparison,
  TrainRequest,
} from '../../worker/api';
import { DEMO_EVALUATION, DEMO_TRAINING } from './demoRecipe';

export type DemoStep = 'model' | 'data' | 'train' | 'evaluate-base' | 'evaluate-adapter' | 'compare';

export const DEMO_STEPS: { step: DemoStep; label: string }[] = [
  { step: 'model', label: 'Load the bundled base model' },
  { step: 'data', label: 'Load the word-problem shard' },
  { step: 'train', label: 'Train a LoRA adapter on it' },
  { step: 'evaluate-base', label: 'Evaluate the base model' },
  { step: 'evaluate-adapter', label: 'Evaluate the adapter' },
  { step: 'compare', label: 'Compare the two' },
];

export type DemoEngine = Pick<LabEngineApi, 'loadModel' | 'addShards' | 'dataSummary' | 'useAdapter' | 'evaluate' | 'compareRuns'>;

export interface DemoHooks {
  onStep(step: DemoStep): void;
  newJobId(): string;
  /** The engine job running now (cancel it to stop the demo), or undefined between jobs. */
  onJob(jobId: string | undefined): void;
  onModelProgress?(p: Progress): void;
  onEvaluation?(which: 'base' | 'adapter', p: EvaluationProgress): void;
  /** Trains the adapter (the page routes it through its training session, so the Train panel charts it and stops it). */
  train(request: TrainRequest): Promise<AdapterSummary>;
  /** Wraps a callback handed to the engine (Comlink.proxy in the page, where the engine is in a worker). */
  callback<F extends (...args: never[]) => void>(f: F): F;
}

export interface DemoReport {
  model: { fileName: string; parameters: number; fileBytes: number };
  /** The adapter as the library keeps it; its `metrics` are the loss curve. */
  training: { request: TrainRequest; adapter: AdapterSummary; seconds: number };
  base: EvaluationOutcome;
  adapter: EvaluationOutcome;
  comparison: RunComparison;
  evaluationSeconds: { base: number; adapter: number };
  totalSeconds: number;
}

export class DemoStopped extends Error {
  constructor(step: DemoStep) {
    super(`the demo was stopped during "${DEMO_STEPS.find((s) => s.step === step)!.label}"`);
  }
}

/** What the demo trains and evaluates: DEMO_TRAINING and DEMO_EVALUATION, smaller in tests. */
export interface DemoRecipe {
  training: TrainRequest;
  evaluation: Omit<EvaluationRequest, 'name' | 'runId'>;
}

export async function runDemo(
  engine: DemoEngine,
  inputs: { model: Blob; shard: File },
  hooks: DemoHooks,
  recipe: DemoRecipe = { training: DEMO_TRAINING, evaluation: DEMO_EVALUATION },
): Promise<DemoReport> {
  const started = performance.now();
  const seconds = (from: number) => (performance.now() - from) / 1000;
  const job = async <T>(step: DemoStep, call: (jobId: string) => Promise<T>): Promise<T> => {
    hooks.onStep(step);
    const jobId = hooks.newJobId();
    hooks.onJob(jobId);
    try {
      return await call(jobId);
    } finally {
      hooks.onJob(undefined);
    }
  };

  const info: ModelInfo = await job('model', (id) =>
    engine.loadModel(inputs.model, id, hooks.onModelProgress && hooks.callback(hooks.onModelProgress)),
  );
  hooks.onStep('data');
  const summary = await engine.dataSummary();
  if (!summary.shards.some((s) => s.name === inputs.shard.name)) await engine.addShards([inputs.shard]);

  const trainStarted = performance.now();
  hooks.onStep('train');
  const adapter = await hooks.train(recipe.training);
  if (adapter.status === 'stopped') throw new DemoStopped('train');
  const trainSeconds = seconds(trainStarted);

  const evaluate = async (which: 'base' | 'adapter', step: DemoStep, adapterId: string | null) => {
    const from = performance.now();
    await engine.useAdapter(adapterId);
    const outcome = await job(step, (id) =>
      engine.evaluate(
        { ...recipe.evaluation, name: `demo · ${which === 'base' ? 'base model' : adapter.name}` },
        id,
        hooks.callback((p: EvaluationProgress) => hooks.onEvaluation?.(which, p)),
      ),
    );
    if (outcome.status === 'stopped') throw new DemoStopped(step);
    return { outcome, seconds: seconds(from) };
  };
  const base = await evaluate('base', 'evaluate-base', null);
  const tuned = await evaluate('adapter', 'evaluate-adapter', adapter.id);

  hooks.onStep('compare');
  const comparison = await engine.compareRuns([base.outcome.run.id, tuned.outcome.run.id], { seed: 0 });
  return {
    model: { fileName: info.fileName, parameters: info.parameters, fileBytes: info.fileBytes },
    training: { request: recipe.training, adapter, seconds: trainSeconds },
    base: base.outcome,
    adapter: tuned.outcome,
    comparison,
    evaluationSeconds: { base: base.seconds, adapter: tuned.seconds },
    totalSeconds: seconds(started),
  };
}

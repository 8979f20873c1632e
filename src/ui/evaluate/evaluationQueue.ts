import type { EvaluationOutcome, EvaluationProgress, EvaluationRequest } from '../../worker/api';

/** One model to evaluate: the base model (`adapterId: null`) or a library adapter. */
export interface ModelChoice {
  adapterId: string | null;
  /** Shown while it runs and used to name its run. */
  name: string;
}

/** The two engine calls a queue of evaluations needs (the comlink proxy in the page). */
export interface QueueEngine {
  useAdapter(id: string | null): Promise<void>;
  evaluate(request: EvaluationRequest, jobId: string, onProgress?: (p: EvaluationProgress) => void): Promise<EvaluationOutcome>;
}

export interface QueueCallbacks {
  /** Before each evaluation starts: its 1-based position, the queue's length, and the model it evaluates. */
  onStart?(position: number, total: number, choice: ModelChoice, jobId: string): void;
  onProgress?(choice: ModelChoice, p: EvaluationProgress): void;
  onOutcome?(choice: ModelChoice, outcome: EvaluationOutcome): void;
  /** Asked before each model's turn: Stop pressed between two evaluations (or while an adapter loads) ends the queue. */
  stopRequested?(): boolean;
}

/** The label "2 of 3: rank4" for the evaluation running now. */
export function queueLabel(position: number, total: number, choice: ModelChoice): string {
  return `${position} of ${total}: ${choice.name}`;
}

/** Why no evaluation can start with these models ticked, or undefined when it can. */
export function validateChoices(choices: readonly ModelChoice[]): string | undefined {
  return choices.length === 0 ? 'Tick at least one model to evaluate (the base model or an adapter).' : undefined;
}

/**
 * Evaluates each chosen model in turn on the same request (same benchmark, problems and seed): `useAdapter` then
 * `evaluate`, each a new run (no `runId`: one per model) named "<model> · <request name>". A stopped evaluation ends the queue (Stop means stop all):
 * the outcomes so far are returned, the stopped one last; so does `stopRequested` between evaluations. A failure rejects, after the outcomes reported so far.
 * `newJobId` gives each evaluation its own job, so the caller can cancel the one running.
 */
export async function runEvaluationQueue(
  engine: QueueEngine,
  choices: readonly ModelChoice[],
  request: Omit<EvaluationRequest, 'runId'>,
  newJobId: () => string,
  callbacks: QueueCallbacks = {},
): Promise<EvaluationOutcome[]> {
  const outcomes: EvaluationOutcome[] = [];
  for (const [index, choice] of choices.entries()) {
    if (callbacks.stopRequested?.()) break;
    const jobId = newJobId();
    callbacks.onStart?.(index + 1, choices.length, choice, jobId);
    await engine.useAdapter(choice.adapterId);
    if (callbacks.stopRequested?.()) break;
    const name = request.name === undefined ? choice.name : `${choice.name} · ${request.name}`;
    const outcome = await engine.evaluate({ ...request, name }, jobId, (p) => callbacks.onProgress?.(choice, p));
    outcomes.push(outcome);
    callbacks.onOutcome?.(choice, outcome);
    if (outcome.status === 'stopped') break;
  }
  return outcomes;
}

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { EvaluationEnvironment } from './evaluation';
import { MemoryResultsStore, type ResultsStore } from './resultsStore';

/**
 * The evaluation environment in Node (the `lora-lab eval` command and tests): runs kept in memory, the sample
 * problems read from the repository's `public/`. Node only — the page uses `browserEvaluationEnvironment`.
 */
export const SAMPLE_PROBLEMS_FILE = fileURLToPath(new URL('../../public/samples/problems.jsonl', import.meta.url));

export function nodeEvaluationEnvironment(store: ResultsStore = new MemoryResultsStore()): EvaluationEnvironment {
  return {
    resultsStore: async () => store,
    sampleProblems: () => readFile(SAMPLE_PROBLEMS_FILE, 'utf8'),
  };
}

import { LabError } from '../errors';
import type { EvaluationEnvironment } from './evaluation';
import { OpfsResultsStore } from './opfsResultsStore';
import { MemoryResultsStore, type ResultsStore } from './resultsStore';

/** Where the page's build serves the sample problem set (Vite copies `public/` to the site root). */
export const SAMPLE_PROBLEMS_URL = '/samples/problems.jsonl';

/**
 * The evaluation environment in the page's worker: runs in the origin-private file system (so they survive a
 * reload), sample problems fetched from the site. Where OPFS is missing, runs are kept in memory for the session.
 */
export function browserEvaluationEnvironment(): EvaluationEnvironment {
  let store: Promise<ResultsStore> | undefined;
  return {
    resultsStore() {
      const opfs = typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function';
      store ??= opfs ? OpfsResultsStore.open() : Promise.resolve(new MemoryResultsStore());
      return store;
    },
    async sampleProblems() {
      let response: Response;
      try {
        response = await fetch(SAMPLE_PROBLEMS_URL);
      } catch (error) {
        throw new LabError(
          `cannot fetch the sample problems (${(error as Error).message})`,
          SAMPLE_PROBLEMS_URL,
          'drop a MATH-500 or GSM8K JSONL file instead',
        );
      }
      if (!response.ok)
        throw new LabError(
          `cannot fetch the sample problems (HTTP ${response.status})`,
          SAMPLE_PROBLEMS_URL,
          'drop a MATH-500 or GSM8K JSONL file instead',
        );
      return response.text();
    },
  };
}

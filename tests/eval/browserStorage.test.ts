import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../sharedData';
import { openPageModules, type PageModules } from '../setup/pageModules';
import type { ProblemRecord, RunInfo } from '../../src/eval/records';
import type { StoredRun } from '../../src/eval/resultsStore';

/**
 * The page's side of evaluation storage where it runs: headless Chromium, whose origin-private file system Node
 * lacks (tests/setup/pageModules.ts serves our modules to it from 127.0.0.1, a secure context).
 */
let modules: PageModules;

/** What the page does with the store; it returns what the assertions below look at. */
const SCENARIO = `
import { OpfsResultsStore } from '/src/eval/opfsResultsStore';
const messageOf = (promise) => promise.then(() => 'no error', (e) => e.message);
export async function run({ runs, records }) {
  const store = await OpfsResultsStore.open('test-runs');
  await store.saveRun(runs[0]);
  await store.saveRun(runs[1]);
  await store.appendRecords(runs[1].id, records.slice(0, 1));
  await store.appendRecords(runs[1].id, records.slice(1));
  await store.appendRecords(runs[1].id, []);
  // Saving the description again (as a resumed run does) keeps its records.
  await store.saveRun({ ...runs[1], name: 'renamed' });
  const reopened = await OpfsResultsStore.open('test-runs');
  const loaded = await reopened.loadRun(runs[1].id);
  const listed = (await reopened.listRuns()).map((r) => r.id);
  const missing = await reopened.loadRun('no-such-run');
  const appendMissing = await messageOf(reopened.appendRecords('no-such-run', records));
  const badId = await messageOf(reopened.saveRun({ ...runs[0], id: '../escape' }));
  await reopened.deleteRun(runs[1].id);
  await reopened.deleteRun('never-existed');
  const afterDelete = (await reopened.listRuns()).map((r) => r.id);
  return { loaded, listed, missing, appendMissing, badId, afterDelete };
}
`;
interface ScenarioResult {
  loaded: StoredRun;
  listed: string[];
  missing: StoredRun | null;
  appendMissing: string;
  badId: string;
  afterDelete: string[];
}
/** The page's evaluation environment: OPFS chosen for runs, the sample problems fetched from the site. */
const ENVIRONMENT_SCENARIO = `
import { browserEvaluationEnvironment } from '/src/eval/browserEnvironment';
import { OpfsResultsStore } from '/src/eval/opfsResultsStore';
export async function run() {
  const environment = browserEvaluationEnvironment();
  const store = await environment.resultsStore();
  return { opfs: store instanceof OpfsResultsStore, same: store === (await environment.resultsStore()), samples: await environment.sampleProblems() };
}
`;
const SAMPLES = readFileSync(`${REPO_ROOT}public/samples/problems.jsonl`, 'utf8');

beforeAll(async () => {
  modules = await openPageModules(
    { '/scenario.js': SCENARIO, '/environment.js': ENVIRONMENT_SCENARIO },
    {
      '/samples/problems.jsonl': { contentType: 'application/jsonl', body: SAMPLES },
    },
  );
});

afterAll(async () => {
  await modules?.close();
});

function runInfo(id: string, createdAt: string): RunInfo {
  return {
    id,
    name: id,
    benchmark: 'math500',
    promptStyle: 'sft-zero-shot',
    generator: { kind: 'model', name: 'm.gguf' },
    maxNewTokens: 16,
    problemIds: ['p1', 'p2', 'p3'],
    createdAt,
  };
}

function record(problemId: string, output: string): ProblemRecord {
  return {
    problemId,
    subject: 'Algebra',
    level: 1,
    gold: '2',
    prompt: 'What is 1+1?\n',
    output,
    extracted: null,
    correct: false,
    rule: 'no-answer',
    reason: 'none',
    promptTokens: 5,
    outputTokens: 3,
    timeMs: 1.5,
  };
}

describe('evaluation storage in Chromium', () => {
  it('keeps runs in OPFS: appends records in order, lists runs by creation time, survives reopening, deletes', async () => {
    const args = {
      runs: [runInfo('later', '2025-03-01T00:00:00.000Z'), runInfo('earlier', '2025-01-01T00:00:00.000Z')],
      records: [record('p1', 'a "quoted"\nline'), record('p2', 'b'), record('p3', 'c')],
    };
    const result = await modules.run<ScenarioResult>('/scenario.js', args);
    expect(result.loaded.info.name).toBe('renamed');
    expect(result.loaded.records.map((r) => [r.problemId, r.output])).toEqual([
      ['p1', 'a "quoted"\nline'],
      ['p2', 'b'],
      ['p3', 'c'],
    ]);
    expect(result.loaded.records[0]).toEqual(record('p1', 'a "quoted"\nline'));
    expect(result.listed).toEqual(['earlier', 'later']);
    expect(result.missing).toBeNull();
    expect(result.appendMissing).toMatch(/no run "no-such-run" to append to/);
    expect(result.badId).toMatch(/run id "..\/escape" may only hold/);
    expect(result.afterDelete).toEqual(['later']);
  });

  it('the page keeps runs in OPFS and fetches the bundled sample problems from the site', async () => {
    const result = await modules.run<{ opfs: boolean; same: boolean; samples: string }>('/environment.js');
    expect(result).toEqual({ opfs: true, same: true, samples: SAMPLES });
  });
});

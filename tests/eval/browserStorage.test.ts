import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import ts from 'typescript';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/lib/chromium';
import { REPO_ROOT } from '../sharedData';
import type { ProblemRecord, RunInfo } from '../../src/eval/records';
import type { StoredRun } from '../../src/eval/resultsStore';

/**
 * The page's side of evaluation storage where it runs: headless Chromium, whose origin-private file system Node
 * lacks. Modules under `/src/` are our TypeScript transpiled as served (imports are extensionless, so the paths
 * resolve to the same files); the page is served from 127.0.0.1, a secure context, where
 * `navigator.storage.getDirectory()` exists.
 */
let server: Server;
let browser: Browser;
let page: Page;

function transpiled(path: string): string | undefined {
  const file = `${REPO_ROOT}src/${path}.ts`;
  if (path.includes('..') || !existsSync(file)) return undefined;
  return ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
  }).outputText;
}

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
const FILES: Record<string, string> = { '/scenario.js': SCENARIO, '/environment.js': ENVIRONMENT_SCENARIO };

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = request.url ?? '/';
    const js = FILES[url] ?? (url.startsWith('/src/') ? transpiled(url.slice('/src/'.length)) : undefined);
    if (js !== undefined) {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(js);
    } else if (url === '/samples/problems.jsonl') {
      response.writeHead(200, { 'content-type': 'application/jsonl' });
      response.end(SAMPLES);
    } else {
      response.writeHead(url === '/' ? 200 : 404, { 'content-type': 'text/html' });
      response.end('<!doctype html><title>storage</title>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

function runInfo(id: string, createdAt: string): RunInfo {
  return { id, name: id, benchmark: 'math500', promptStyle: 'sft-zero-shot', generator: { kind: 'model', name: 'm.gguf' }, maxNewTokens: 16, problemIds: ['p1', 'p2', 'p3'], createdAt };
}

function record(problemId: string, output: string): ProblemRecord {
  return { problemId, subject: 'Algebra', level: 1, gold: '2', prompt: 'What is 1+1?\n', output, extracted: null, correct: false, rule: 'no-answer', reason: 'none', promptTokens: 5, outputTokens: 3, timeMs: 1.5 };
}

describe('evaluation storage in Chromium', () => {
  it('keeps runs in OPFS: appends records in order, lists runs by creation time, survives reopening, deletes', async () => {
    const args = { runs: [runInfo('later', '2025-03-01T00:00:00.000Z'), runInfo('earlier', '2025-01-01T00:00:00.000Z')], records: [record('p1', 'a "quoted"\nline'), record('p2', 'b'), record('p3', 'c')] };
    // A string, so the test runner's module transform leaves the page's own `import()` alone.
    const result = (await page.evaluate(`import('/scenario.js').then((m) => m.run(${JSON.stringify(args)}))`)) as ScenarioResult;
    expect(result.loaded.info.name).toBe('renamed');
    expect(result.loaded.records.map((r) => [r.problemId, r.output])).toEqual([['p1', 'a "quoted"\nline'], ['p2', 'b'], ['p3', 'c']]);
    expect(result.loaded.records[0]).toEqual(record('p1', 'a "quoted"\nline'));
    expect(result.listed).toEqual(['earlier', 'later']);
    expect(result.missing).toBeNull();
    expect(result.appendMissing).toMatch(/no run "no-such-run" to append to/);
    expect(result.badId).toMatch(/run id "..\/escape" may only hold/);
    expect(result.afterDelete).toEqual(['later']);
  });

  it('the page keeps runs in OPFS and fetches the bundled sample problems from the site', async () => {
    const result = (await page.evaluate(`import('/environment.js').then((m) => m.run())`)) as { opfs: boolean; same: boolean; samples: string };
    expect(result).toEqual({ opfs: true, same: true, samples: SAMPLES });
  });
});

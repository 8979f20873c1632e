/**
 * Millions of rows in the page: a 2.5M-row MetaMathQA-layout shard from the synthetic math generator, with
 * duplicates and test-set leaks planted at known lines (scripts/lib/plantedShard.ts; generated on demand into
 * bench/inputs/, never committed), loaded in headless Chromium through the Data panel after its evaluation set.
 * Prints the time to load and clean it, the peak JS heap of the page and of the engine worker (sampled through the
 * DevTools protocol), whether every planted row was found (from the panel's cleaning report), then starts the
 * data-scaling experiment and a training run on all kept rows and prints how long each took to its first step.
 * A measurement, not a test.
 *
 *   node --import tsx scripts/rows-2m5.ts [--rows N] [--skip-train] [--train-minutes M]
 *
 * Needs dist/ (vite build) and a few GB free on disk (the shard, and OPFS in Chromium's temporary profile).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { flag, numberFlag, parseArgs } from '../src/cli/args';
import { launchChromiumWithProfile } from './lib/chromium';
import { chromiumPeakRss, mib, openWatchedPage } from './lib/heapWatch';
import { servePreview } from './lib/preview';
import { plantedEvalSetText, writePlantedShardFile, type PlantedKey, type PlantedShardSpec } from './lib/plantedShard';

const INPUTS = fileURLToPath(new URL('../bench/inputs/', import.meta.url));
const HOUR = 60 * 60_000;

interface CleaningReport {
  shards: {
    name: string;
    rowsKept: number;
    duplicates: { exact: number; near: number; rows: { row: number; kind: 'exact' | 'near'; of: { row: number }; similarity: number }[] };
    contaminated: { count: number; rows: { row: number; problem: string }[] };
  }[];
}

/** The shard, its evaluation set and where the planted rows are, made once per spec. */
async function inputs(spec: PlantedShardSpec): Promise<{ shard: string; evalSet: string; key: PlantedKey }> {
  const dir = `${INPUTS}rows-${spec.rows}/`;
  mkdirSync(dir, { recursive: true });
  const [shard, evalSet, keyPath] = [`${dir}shard.jsonl`, `${dir}eval-problems.jsonl`, `${dir}planted.json`];
  const stored = existsSync(keyPath)
    ? (JSON.parse(readFileSync(keyPath, 'utf8')) as { spec: PlantedShardSpec; key: PlantedKey })
    : undefined;
  if (stored && JSON.stringify(stored.spec) === JSON.stringify(spec) && existsSync(shard)) return { shard, evalSet, key: stored.key };
  process.stderr.write(`generating ${spec.rows} rows into ${dir}\n`);
  const key = await writePlantedShardFile(spec, shard);
  writeFileSync(evalSet, plantedEvalSetText(spec));
  writeFileSync(keyPath, JSON.stringify({ spec, key }));
  return { shard, evalSet, key };
}

/** Planted rows the report does not name as found (with the right original, or the right evaluation problem). */
function missed(report: CleaningReport['shards'][number], key: PlantedKey): { exact: number; near: number; leaks: number } {
  const duplicates = new Map(report.duplicates.rows.map((d) => [d.row, d]));
  const leaks = new Map(report.contaminated.rows.map((c) => [c.row, c.problem]));
  const copyMissed = (kind: 'exact' | 'near') =>
    key[kind].filter(({ line, of }) => duplicates.get(line)?.kind !== kind || duplicates.get(line)?.of.row !== of).length;
  return {
    exact: copyMissed('exact'),
    near: copyMissed('near'),
    leaks: key.leaks.filter(({ line, problem }) => !leaks.get(line)?.endsWith(`/${problem}.json`)).length,
  };
}

async function cleaningReport(page: Page): Promise<CleaningReport> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('cleaning-report').click()]);
  const path = `${INPUTS}cleaning-report.json`;
  await download.saveAs(path);
  return JSON.parse(readFileSync(path, 'utf8')) as CleaningReport;
}

/** Bytes under the profile's origin-private file systems. */
function opfsBytes(profile: string): number {
  const dir = join(profile, 'Default', 'File System');
  if (!existsSync(dir)) return 0;
  let total = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else total += statSync(join(d, e.name)).size;
    }
  };
  walk(dir);
  return total;
}

async function seconds<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work();
  return [value, (performance.now() - started) / 1000];
}

function log(line: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), { values: ['rows', 'train-minutes'], switches: ['skip-train'] });
  const trainMinutes = numberFlag(args, 'train-minutes', 120, (n) => n > 0);
  const rows = numberFlag(args, 'rows', 2_500_000, Number.isInteger);
  const skipTrain = flag(args, 'skip-train') === 'true';
  const spec: PlantedShardSpec = {
    rows,
    exactDuplicates: Math.min(4000, Math.floor(rows / 100)),
    nearDuplicates: Math.min(4000, Math.floor(rows / 100)),
    leaks: Math.min(2000, Math.floor(rows / 200)),
    evalProblems: 500,
    seed: 2500,
  };
  const files = await inputs(spec);

  const server = await servePreview();
  // A profile on disk, as a user's: OPFS then holds the kept rows in files (see launchChromiumWithProfile).
  const profile = mkdtempSync(join(tmpdir(), 'lora-lab-rows-'));
  const browser = await launchChromiumWithProfile(profile);
  try {
    const { page, heap } = await openWatchedPage(browser, server.url);

    await page.getByTestId('eval-set-files').setInputFiles(files.evalSet);
    await page.getByTestId('eval-sets').waitFor({ timeout: 60_000 });
    log('evaluation set added; loading the shard');
    const [, cleanSeconds] = await seconds(async () => {
      await page.getByTestId('shard-files').setInputFiles(files.shard);
      await page.getByTestId('shard-table').waitFor({ timeout: HOUR });
    });
    await heap.sample();
    const clean = { page: heap.peakPage, worker: heap.peakWorker, workerWithBuffers: heap.peakWorkerWithBuffers };
    const table = (await page.getByTestId('shard-table').innerText()).replace(/\s+/g, ' ');
    log(`loaded and cleaned in ${cleanSeconds.toFixed(0)} s: ${table}`);
    const report = (await cleaningReport(page)).shards[0];
    const notFound = missed(report, files.key);

    let scalingSeconds = NaN;
    let trainSeconds = NaN;
    let trainPlan = '';
    if (!skipTrain) {
      await page.getByTestId('load-bundled').click();
      await page.getByTestId('model-arch').waitFor({ timeout: 10 * 60_000 });
      log('model loaded; starting the scaling experiment');
      await page.getByTestId('scaling-sizes').fill('1000, 2000');
      await page.getByTestId('scaling-steps').fill('2');
      await page.getByTestId('scaling-seqlen').fill('256');
      await page.getByTestId('scaling-count').fill('2');
      await page.getByTestId('scaling-max-tokens').fill('4');
      [, scalingSeconds] = await seconds(async () => {
        await page.getByTestId('scaling-run').click();
        await page.getByTestId('scaling-table').locator('tbody tr').first().waitFor({ timeout: HOUR });
      });
      await page.getByTestId('scaling-run').waitFor({ state: 'visible' });
      await page.waitForFunction(() => !(document.querySelector('[data-testid="scaling-run"]') as HTMLButtonElement).disabled, null, {
        timeout: HOUR,
      });
      log(`scaling: first size trained and evaluated in ${scalingSeconds.toFixed(0)} s; training on every kept row`);
      await page.getByTestId('train-name').fill('all-rows');
      await page.getByTestId('train-steps').fill('2');
      await page.getByTestId('train-seqlen').fill('256');
      const started = performance.now();
      await page.getByTestId('train').click();
      const stepped = await page
        .getByText(/all-rows: step 1 \/ 2: loss/)
        .waitFor({ timeout: trainMinutes * 60_000 })
        .then(() => true)
        .catch(() => false);
      trainSeconds = (performance.now() - started) / 1000;
      trainPlan = stepped ? (await page.getByTestId('train-plan').innerText()).trim() : `no first step within ${trainMinutes} min`;
      log(`training: ${trainSeconds.toFixed(0)} s, ${trainPlan}`);
    }
    heap.stop();
    await heap.sample();
    const rss = chromiumPeakRss();
    const gib = statSync(files.shard).size / 2 ** 30;

    console.log(
      `\n${rows.toLocaleString('en')}-row shard (${gib.toFixed(2)} GiB of JSON Lines), headless Chromium ${await page.evaluate(() => navigator.userAgent)}`,
    );
    console.log(`  load + clean (file input → report shown)  ${cleanSeconds.toFixed(0)} s`);
    console.log(
      `  peak JS heap while cleaning               page ${mib(clean.page)}, engine worker ${mib(clean.worker)} (with array buffers ${mib(clean.workerWithBuffers)})`,
    );
    console.log(`  kept                                      ${report.rowsKept.toLocaleString('en')} rows`);
    console.log(
      `  found / planted                           exact ${report.duplicates.exact} / ${files.key.exact.length}, near ${report.duplicates.near} / ${files.key.near.length}, contaminated ${report.contaminated.count} / ${files.key.leaks.length}`,
    );
    console.log(`  planted rows not found                    exact ${notFound.exact}, near ${notFound.near}, leaks ${notFound.leaks}`);
    if (!skipTrain) {
      console.log(`  scaling (sizes 1000, 2000): first size trained + evaluated  ${scalingSeconds.toFixed(0)} s`);
      console.log(`  training on every kept row: to the first step               ${trainSeconds.toFixed(0)} s (${trainPlan})`);
    }
    console.log(
      `  peak JS heap over the run                 page ${mib(heap.peakPage)}, engine worker ${mib(heap.peakWorker)} (with array buffers ${mib(heap.peakWorkerWithBuffers)})`,
    );
    console.log(
      `  peak RSS of Chromium's processes          ${Object.entries(rss)
        .map(([t, m]) => `${t} ${m.toFixed(0)} MiB`)
        .join(', ')}`,
    );
    console.log(`  OPFS in the profile after the run            ${(opfsBytes(profile) / 2 ** 30).toFixed(2)} GiB`);
  } finally {
    await browser.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`rows-2m5: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

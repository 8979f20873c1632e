/**
 * `npm run smoke:7b`: a Mistral-7B-shaped Q4_0 model (≈3.9 GB, generated on demand into bench/inputs/, never
 * committed) loaded in headless Chromium through the lab's own file input into the engine worker, then a short
 * greedy generation. Prints load time, peak JS heap (page and engine worker), the GPU memory the loader planned
 * and holds, and seconds per token. A smoke run and a measurement, not a test.
 *
 *   node --import tsx scripts/smoke-7b.ts [--tokens N] [--prompt TEXT]
 *
 * Needs dist/ (vite build) and ~4 GB free on disk; SwiftShader keeps the weights in host memory.
 */
import { mkdirSync, statfsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { flag, numberFlag, parseArgs } from '../src/cli/args';
import { launchChromium } from './lib/chromium';
import { chromiumPeakRss, mib, openWatchedPage } from './lib/heapWatch';
import { servePreview } from './lib/preview';
import { writeSyntheticGguf } from './make-synthetic-gguf';

const INPUTS = fileURLToPath(new URL('../bench/inputs/', import.meta.url));
const MODEL = `${INPUTS}synthetic-mistral-7b-Q4_0.gguf`;
const GiB = 2 ** 30;

function text(page: Page, testId: string): Promise<string> {
  return page.getByTestId(testId).innerText();
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), { values: ['tokens', 'prompt'] });
  const tokens = numberFlag(args, 'tokens', 4, Number.isInteger);
  const prompt = flag(args, 'prompt') ?? 'Question: What is 12 + 30?\nAnswer:';
  mkdirSync(INPUTS, { recursive: true });
  const free = statfsSync(INPUTS);
  process.stderr.write(`disk free under bench/inputs: ${((free.bavail * free.bsize) / GiB).toFixed(1)} GiB\n`);
  const fileBytes = await writeSyntheticGguf(MODEL, 'mistral-7b', 'Q4_0');

  const server = await servePreview();
  const browser = await launchChromium();
  try {
    const { page, heap } = await openWatchedPage(browser, server.url);

    const loadStart = performance.now();
    await page.getByTestId('model-file').setInputFiles(MODEL);
    const loaded = await Promise.race([
      page
        .getByTestId('model-info')
        .waitFor({ timeout: 60 * 60_000 })
        .then(() => 'ok'),
      page
        .getByTestId('model-error')
        .waitFor({ timeout: 60 * 60_000 })
        .then(() => 'error'),
    ]);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    if (loaded === 'error') throw new Error(`the model did not load: ${await text(page, 'model-error')}`);
    await heap.sample();
    const loadHeapPage = heap.peakPage;
    const loadHeapWorker = heap.peakWorker;
    const info = await text(page, 'model-info');
    process.stderr.write(`loaded in ${loadSeconds.toFixed(1)} s\n${info}\n`);

    await page.getByTestId('prompt').fill(prompt);
    await page.getByLabel('Max tokens').fill(String(tokens));
    await page.getByLabel('Temperature').fill('0');
    const genStart = performance.now();
    await page.getByTestId('generate').click();
    await page.getByTestId('generate-stats').waitFor({ timeout: 60 * 60_000 });
    const genSeconds = (performance.now() - genStart) / 1000;
    heap.stop();
    await heap.sample();
    const stats = await text(page, 'generate-stats');
    const output = await text(page, 'generated');
    // The UI rounds tokens/s to one decimal (0.0 at this speed): seconds per token from the prefill time it shows
    // and the wall time of the whole generation instead.
    const generated = Number(/(\d+) tokens/.exec(stats)?.[1] ?? NaN);
    const prefillSeconds = Number(/in ([\d.]+) s/.exec(stats)?.[1] ?? NaN);
    const secondsPerToken = (genSeconds - prefillSeconds) / (generated - 1);
    const gpu = /GPU memory\s*([^\n]*)/.exec(info)?.[1] ?? '';
    const rss = chromiumPeakRss();

    console.log(
      `\nMistral-7B-shaped Q4_0 smoke run (${(fileBytes / GiB).toFixed(2)} GiB file), headless Chromium + ${await page.evaluate(() => navigator.userAgent)}`,
    );
    console.log(`  load (file input → model info shown)  ${loadSeconds.toFixed(1)} s`);
    console.log(`  peak JS heap while loading            page ${mib(loadHeapPage)}, engine worker ${mib(loadHeapWorker)}`);
    console.log(`  peak JS heap over the run             page ${mib(heap.peakPage)}, engine worker ${mib(heap.peakWorker)}`);
    console.log(
      `  peak RSS of Chromium's processes      ${Object.entries(rss)
        .map(([t, m]) => `${t} ${m.toFixed(0)} MiB`)
        .join(', ')}`,
    );
    console.log(`  GPU memory (the loader's plan)        ${gpu}`);
    console.log(`  generation                            ${stats.replace(/\s+/g, ' ').trim()} (wall ${genSeconds.toFixed(1)} s)`);
    console.log(`  seconds per decoded token             ${secondsPerToken.toFixed(1)} (wall after the prefill, ${generated - 1} tokens)`);
    console.log(`  output                                ${JSON.stringify(output)}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`smoke-7b: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

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
import { mkdirSync, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CDPSession, Page } from 'playwright-core';
import { flag, numberFlag, parseArgs } from '../src/cli/args';
import { launchChromium } from './lib/chromium';
import { servePreview } from './lib/preview';
import { writeSyntheticGguf } from './make-synthetic-gguf';

const INPUTS = fileURLToPath(new URL('../bench/inputs/', import.meta.url));
const MODEL = `${INPUTS}synthetic-mistral-7b-Q4_0.gguf`;
const GiB = 2 ** 30;

/**
 * Samples the JS heap of the page (performance.memory) and of the engine worker, keeping the peaks. Workers have
 * no performance.memory, so the worker is asked through the DevTools protocol: the page's CDP session attaches
 * to it (non-flat mode) and forwards Runtime.getHeapUsage.
 */
class HeapWatch {
  peakPage = 0;
  peakWorker = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly workerSessions: string[] = [];
  private readonly pending = new Map<number, (usedSize: number) => void>();
  private nextId = 1;

  private constructor(
    private readonly page: Page,
    private readonly cdp: CDPSession,
  ) {}

  static async attach(page: Page): Promise<HeapWatch> {
    const cdp = await page.context().newCDPSession(page);
    const watch = new HeapWatch(page, cdp);
    cdp.on('Target.attachedToTarget', (e) => {
      if (e.targetInfo.type === 'worker') watch.workerSessions.push(e.sessionId);
    });
    cdp.on('Target.receivedMessageFromTarget', (e) => {
      const reply = JSON.parse(e.message) as { id?: number; result?: { usedSize: number } };
      if (reply.id !== undefined) watch.pending.get(reply.id)?.(reply.result?.usedSize ?? -1);
      if (reply.id !== undefined) watch.pending.delete(reply.id);
    });
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    return watch;
  }

  private async workerHeap(sessionId: string): Promise<number> {
    const id = this.nextId++;
    const reply = new Promise<number>((resolve) => this.pending.set(id, resolve));
    await this.cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }) });
    return Promise.race([reply, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 5000))]);
  }

  async sample(): Promise<void> {
    const page = await this.page
      .evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? -1)
      .catch(() => -1);
    this.peakPage = Math.max(this.peakPage, page);
    for (const session of this.workerSessions) this.peakWorker = Math.max(this.peakWorker, await this.workerHeap(session).catch(() => -1));
  }

  start(): void {
    const tick = () => {
      void this.sample().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, 250);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Peak resident memory (VmHWM, MiB) of Chromium's processes by type, from /proc (Linux): the renderer holds the
 * page's and the worker's JS heaps and array buffers; SwiftShader keeps "GPU" buffers in the GPU process.
 */
function chromiumPeakRss(): Record<string, number> {
  const peaks: Record<string, number> = {};
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes('chromium')) continue;
      const type = /--type=([\w-]+)/.exec(cmdline)?.[1] ?? 'browser';
      const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      peaks[type] = Math.max(peaks[type] ?? 0, hwm);
    } catch {
      // The process ended between listing and reading.
    }
  }
  return peaks;
}

function mib(bytes: number): string {
  return bytes > 0 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : 'not reported';
}

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
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') process.stderr.write(`[page] ${m.text()}\n`);
    });
    const heap = await HeapWatch.attach(page);
    await page.goto(server.url);
    heap.start();

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

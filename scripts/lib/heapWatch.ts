/**
 * Peak memory of the lab in headless Chromium, for the measurement scripts: the JS heap of the page and of the engine
 * worker through the DevTools protocol, and the resident memory of Chromium's processes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';

/** Runtime.getHeapUsage: the V8 heap in use, and (Chromium 120+) the array buffers' backing stores outside it. */
interface HeapUsage {
  usedSize: number;
  backingStorageSize?: number;
}

/**
 * Samples the JS heap of the page (performance.memory) and of the engine worker, keeping the peaks. Workers have
 * no performance.memory, so the worker is asked through the DevTools protocol: the page's CDP session attaches
 * to it (non-flat mode) and forwards Runtime.getHeapUsage. Typed arrays' contents are not in the JS heap: the
 * worker's are tracked too (`peakWorkerWithBuffers`: heap plus array buffers, at the same sample).
 */
export class HeapWatch {
  peakPage = 0;
  peakWorker = 0;
  peakWorkerWithBuffers = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly workerSessions: string[] = [];
  private readonly pending = new Map<number, (usage: HeapUsage) => void>();
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
      const reply = JSON.parse(e.message) as { id?: number; result?: HeapUsage };
      if (reply.id !== undefined) watch.pending.get(reply.id)?.(reply.result ?? { usedSize: -1 });
      if (reply.id !== undefined) watch.pending.delete(reply.id);
    });
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    return watch;
  }

  private async workerHeap(sessionId: string): Promise<HeapUsage> {
    const id = this.nextId++;
    const reply = new Promise<HeapUsage>((resolve) => this.pending.set(id, resolve));
    await this.cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }) });
    return Promise.race([reply, new Promise<HeapUsage>((resolve) => setTimeout(() => resolve({ usedSize: -1 }), 5000))]);
  }

  async sample(): Promise<void> {
    const page = await this.page
      .evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? -1)
      .catch(() => -1);
    this.peakPage = Math.max(this.peakPage, page);
    for (const session of this.workerSessions) {
      const usage = await this.workerHeap(session).catch(() => ({ usedSize: -1 }) as HeapUsage);
      this.peakWorker = Math.max(this.peakWorker, usage.usedSize);
      this.peakWorkerWithBuffers = Math.max(this.peakWorkerWithBuffers, usage.usedSize + (usage.backingStorageSize ?? 0));
    }
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
export function chromiumPeakRss(): Record<string, number> {
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

export function mib(bytes: number): string {
  return bytes > 0 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : 'not reported';
}

/** A new page of the lab at `url`, its console errors on stderr, its heaps (and its worker's) sampled from the start. */
export async function openWatchedPage(browser: Browser | BrowserContext, url: string): Promise<{ page: Page; heap: HeapWatch }> {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') process.stderr.write(`[page] ${m.text()}\n`);
  });
  const heap = await HeapWatch.attach(page);
  await page.goto(url);
  heap.start();
  return { page, heap };
}

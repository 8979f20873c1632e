import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../scripts/lib/chromium';
import { servePreview } from '../scripts/lib/preview';
import { benchTable } from './benchTable';
import { reportMarkdown } from './reportMarkdown';

// `npm run bench [-- suite...]`: runs the suites in headless Chromium (worker + WebGPU, the real browser path),
// prints a table and writes bench/results/<time>.json; `npm run bench -- report` (the device report) writes
// bench/results/report-<time>.json and .md.
const only = process.argv.slice(2);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 45 * 60_000);

const server = await servePreview();
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.on('console', (m) => process.stderr.write(`[page] ${m.text()}\n`));
  const query = only.map((s) => `suite=${encodeURIComponent(s)}`).join('&');
  await page.goto(`${server.url}/bench.html${query ? `?${query}` : ''}`);
  let printed = 0;
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const state = await page.evaluate(() => window.__bench);
    for (; printed < state.log.length; printed++) process.stderr.write(`${state.log[printed]}\n`);
    if (state.done) {
      if (state.error) throw new Error(`benchmark failed in the page: ${state.error}`);
      const rows = state.rows ?? [];
      console.log(`\nLora Lab benchmarks on ${state.adapter}\n`);
      console.log(benchTable(rows));
      const dir = fileURLToPath(new URL('./results/', import.meta.url));
      mkdirSync(dir, { recursive: true });
      const date = new Date().toISOString();
      const stem = `${dir}${only.includes('report') ? 'report-' : ''}${date.replace(/[:.]/g, '-')}`;
      writeFileSync(`${stem}.json`, JSON.stringify({ adapter: state.adapter, device: state.device, date, rows }, null, 2));
      console.log(`\nwrote ${stem}.json`);
      if (only.includes('report') && state.device) {
        writeFileSync(`${stem}.md`, reportMarkdown(state.device, date, rows));
        console.log(`wrote ${stem}.md`);
      }
      break;
    }
    if (Date.now() > deadline) throw new Error(`benchmarks did not finish within ${TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
} finally {
  await browser.close();
  await server.close();
}

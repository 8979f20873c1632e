/**
 * `npm run demo`: the lab's main job, headless, through the same page and worker a user gets. Opens the built lab
 * in Chromium, presses "Try the demo" (bundled model, word-problem shard, one LoRA adapter, the base model and
 * the adapter evaluated on the same held-out problems, compared), follows its progress, then prints the
 * comparison (accuracy overall and by level with 95% intervals, McNemar's p), the loss curve as text, and where
 * the report (JSON) and a screenshot of the Compare panel were saved (demo-results/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoSummary, demoTable, lossCurveText } from '../src/ui/demo/demoSummary';
import type { DemoReport } from '../src/ui/demo/demoRun';
import { launchChromium } from './lib/chromium';
import { servePreview } from './lib/preview';

const OUT = fileURLToPath(new URL('../demo-results/', import.meta.url));
/** The demo's own budget is about 15 minutes on a 2-core machine without a GPU; past an hour something is wrong. */
const TIMEOUT_MS = 60 * 60 * 1000;

async function main(): Promise<void> {
  const started = Date.now();
  const server = await servePreview();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(server.url);
    await page.getByTestId('demo-start').click({ timeout: 120_000 });
    let last = '';
    const progress = setInterval(() => {
      void page
        .getByTestId('demo-steps')
        .locator('li.current')
        .textContent({ timeout: 1000 })
        .then(
          (text) => {
            const line = (text ?? '').replace(/\s+/g, ' ').trim();
            if (line && line !== last) console.log(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${(last = line)}`);
          },
          () => undefined,
        );
    }, 2000);
    try {
      await page.getByTestId('demo-result').or(page.locator('.demo [role=alert]')).waitFor({ timeout: TIMEOUT_MS });
    } finally {
      clearInterval(progress);
    }
    const failed = await page
      .locator('.demo [role=alert]')
      .textContent({ timeout: 100 })
      .catch(() => null);
    if (failed) throw new Error(`the demo failed in the page: ${failed}`);
    const report = JSON.parse((await page.getByTestId('demo-report').textContent())!) as DemoReport;
    await page.getByTestId('compare-table').waitFor();
    mkdirSync(OUT, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const reportPath = join(OUT, `demo-${stamp}.json`);
    const shotPath = join(OUT, `compare-${stamp}.png`);
    writeFileSync(reportPath, JSON.stringify(report, null, 2));
    await page.getByTestId('compare-panel').screenshot({ path: shotPath });

    const t = report.training;
    console.log(`\n${demoSummary(report)}\n`);
    console.log(demoTable(report));
    console.log(
      `\ntraining loss (${t.adapter.steps} steps, ${t.seconds.toFixed(0)} s; rank ${t.request.rank}, lr ${t.request.lr}, batch ${t.request.batch} x ${t.request.seqLen} tokens):`,
    );
    console.log(lossCurveText(report));
    console.log(
      `\nevaluation: base ${report.evaluationSeconds.base.toFixed(0)} s, adapter ${report.evaluationSeconds.adapter.toFixed(0)} s; demo in the page ${report.totalSeconds.toFixed(0)} s, ` +
        `wall time ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    console.log(`report: ${reportPath}\nscreenshot of the Compare panel: ${shotPath}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

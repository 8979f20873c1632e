/**
 * Model speed against llama.cpp: `node --import tsx bench/modelBench.ts [--skip-synthetic] [--with-7b]` (after
 * `vite build`).
 *
 * 1. Writes the ~500M-parameter synthetic Llama (Q4_0 and Q4_K_M; skipped with --skip-synthetic) and a ~25M one
 *    (Q4_0, stories260K's vocabulary) into bench/inputs/ (gitignored) and stages them with stories260K under
 *    dist/bench-inputs/ for the bench page. --with-7b adds the Mistral-7B-shaped Q4_0 model (≈3.9 GB, written if
 *    missing, as `npm run smoke:7b` does), measured on PREFILL_TOKENS_7B / DECODE_TOKENS_7B tokens.
 * 2. Runs the `model` and `model-batch` suites in headless Chromium: our engine in the bench worker (WebGPU;
 *    SwiftShader here) and wllama in the same page on the same files; `model-batch` measures decode throughput at
 *    batch sizes 1, 4 and 8 on stories260K and the ~25M model.
 * 3. Measures llama.cpp on the same files Node-side (its Vulkan build cannot run in a page), each backend in a
 *    child process: the Vulkan backend on the device ours ran on (SwiftShader made visible to it where ours ran
 *    on SwiftShader) and the CPU backend as a reference line.
 * 4. Prints ours/peer for each, or the reason a peer gave no value (batched rows have no peer: the peers decode
 *    one sequence), and writes bench/results/model-<time>.json in the same row format as run.ts.
 */
import { existsSync, mkdirSync, openAsBlob, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../scripts/lib/chromium';
import { servePreview } from '../scripts/lib/preview';
import { writeSyntheticGguf } from '../scripts/make-synthetic-gguf';
import { buildTinyModel, readGguf, writeGguf } from '../src/formats/gguf';
import { benchTable } from './benchTable';
import type { BenchRow } from './harness';
import { joinLlamaCpp } from './modelRows';
import { measureLlamaCppInChild, vulkanEnvironment, type LlamaCppOutcome } from './peers/llamaCppChild';
import { DECODE_TOKENS, DECODE_TOKENS_7B, PREFILL_TOKENS, PREFILL_TOKENS_7B, type StagedModel } from './modelInputs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INPUTS = `${ROOT}bench/inputs/`;
const STAGE = `${ROOT}dist/bench-inputs/`;
const STORIES = fileURLToPath(new URL('../../shared/data/tiny-models/stories260K.gguf', import.meta.url));

/**
 * A ~25M-parameter Llama in Q4_0 (8 blocks of width 512, GQA 8/4 heads of 64, FFN 1536) with stories260K's
 * 512-token vocabulary and seeded weights: big enough that the projections dominate a decode step, small enough
 * to decode at several batch sizes on SwiftShader.
 */
async function writeSmallSynthetic(path: string): Promise<void> {
  const vocabulary = await readGguf(await openAsBlob(STORIES));
  const tiny = buildTinyModel({
    architecture: 'llama',
    name: 'synthetic-llama-25m',
    vocabulary,
    embeddingLength: 512,
    blockCount: 8,
    headCount: 8,
    headCountKv: 4,
    feedForwardLength: 1536,
    weightType: 'Q4_0',
    seed: 7,
  });
  writeFileSync(path, new Uint8Array(await writeGguf(tiny.metadata, tiny.tensors).arrayBuffer()));
}

interface ModelFile {
  path: string;
  prefillTokens: number;
  decodeTokens: number;
}

const STANDARD_COUNTS = { prefillTokens: PREFILL_TOKENS, decodeTokens: DECODE_TOKENS };

async function stageModels(skipSynthetic: boolean, with7b: boolean): Promise<Map<string, ModelFile>> {
  const files = new Map<string, ModelFile>([['stories260K', { path: STORIES, ...STANDARD_COUNTS }]]);
  mkdirSync(INPUTS, { recursive: true });
  const small = `${INPUTS}synthetic-llama-25m-Q4_0.gguf`;
  await writeSmallSynthetic(small);
  files.set('llama-25m Q4_0', { path: small, ...STANDARD_COUNTS });
  if (!skipSynthetic) {
    for (const type of ['Q4_0', 'Q4_K_M'] as const) {
      const path = `${INPUTS}synthetic-llama-500m-${type}.gguf`;
      await writeSyntheticGguf(path, 'llama-500m', type);
      files.set(`llama-500m ${type}`, { path, ...STANDARD_COUNTS });
    }
  }
  if (with7b) {
    const path = `${INPUTS}synthetic-mistral-7b-Q4_0.gguf`;
    await writeSyntheticGguf(path, 'mistral-7b', 'Q4_0');
    files.set('mistral-7b Q4_0', { path, prefillTokens: PREFILL_TOKENS_7B, decodeTokens: DECODE_TOKENS_7B });
  }
  if (!existsSync(`${ROOT}dist/index.html`)) throw new Error('dist/ is missing: run `vite build` first');
  rmSync(STAGE, { recursive: true, force: true });
  mkdirSync(STAGE, { recursive: true });
  const listing: StagedModel[] = [];
  for (const [name, { path, prefillTokens, decodeTokens }] of files) {
    symlinkSync(path, `${STAGE}${basename(path)}`);
    listing.push({ name, url: `/bench-inputs/${basename(path)}`, prefillTokens, decodeTokens });
  }
  writeFileSync(`${STAGE}models.json`, JSON.stringify(listing));
  return files;
}

async function runOursInBrowser(): Promise<{ adapter: string; rows: BenchRow[] }> {
  const server = await servePreview();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    page.on('console', (m) => process.stderr.write(`[page] ${m.text()}\n`));
    await page.goto(`${server.url}/bench.html?suite=model&suite=model-batch`);
    await page.waitForFunction(() => window.__bench.done, undefined, { timeout: 60 * 60_000, polling: 1000 });
    const state = await page.evaluate(() => window.__bench);
    if (state.error) throw new Error(`the model suite failed in the page: ${state.error}`);
    return { adapter: state.adapter ?? '', rows: state.rows ?? [] };
  } finally {
    await browser.close();
    await server.close();
  }
}

async function main(): Promise<void> {
  const files = await stageModels(process.argv.includes('--skip-synthetic'), process.argv.includes('--with-7b'));
  const ours = await runOursInBrowser();
  const vulkanEnv = vulkanEnvironment(/swiftshader/i.test(ours.adapter), process.env);
  const llamaCpp = new Map<string, LlamaCppOutcome[]>();
  for (const [name, { path, ...counts }] of files) {
    const outcomes: LlamaCppOutcome[] = [];
    for (const backend of ['vulkan', 'cpu'] as const) {
      const outcome = await measureLlamaCppInChild(path, backend, counts, backend === 'vulkan' ? vulkanEnv : process.env);
      if ('reason' in outcome) process.stderr.write(`llama.cpp ${backend} on ${name}: no value: ${outcome.reason}\n`);
      outcomes.push(outcome);
    }
    llamaCpp.set(name, outcomes);
  }
  const rows = joinLlamaCpp(ours.rows, llamaCpp);
  console.log(`\nModel speed, ours on ${ours.adapter} (headless Chromium); wllama in the same page; llama.cpp Node-side\n`);
  console.log(benchTable(rows));
  const dir = `${ROOT}bench/results/`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}model-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ adapter: ours.adapter, date: new Date().toISOString(), rows }, null, 2));
  console.log(`\nwrote ${file}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`modelBench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

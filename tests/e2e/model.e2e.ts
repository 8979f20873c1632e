import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ARTIFACTS, openLabBrowser, watchPageErrors, loadBundledModel } from './lab';
import { sharedData } from '../sharedData';

let lab: Awaited<ReturnType<typeof openLabBrowser>>;

beforeAll(async () => {
  lab = await openLabBrowser();
});

afterAll(async () => {
  await lab?.close();
});

describe('loading a model in the lab', () => {
  it('streams a dropped GGUF into the GPU, shows what it is, and generates from it in the worker', async () => {
    const page = await lab.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    await page.getByTestId('model-file').setInputFiles(sharedData('tiny-models', 'stories260K.gguf'));
    const arch = page.getByTestId('model-arch');
    await arch.waitFor({ timeout: 120_000 });
    expect(await arch.textContent()).toMatch(/^llama: 5 layers, hidden 64, 8 heads \/ 4 KV heads, FFN 172/);
    await page.getByTestId('generate').click();
    const stats = page.getByTestId('generate-stats');
    await stats.waitFor({ timeout: 240_000 });
    // llama.cpp's greedy continuation of "Once upon a time" (see tests/model/stories260k.test.ts).
    expect(await page.getByTestId('generated').textContent()).toMatch(
      /^, there was a little girl named Lily\. She loved to play outside in the park\./,
    );
    await page.screenshot({ path: `${ARTIFACTS}/model-generate.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('refuses a file that is not a GGUF model with a message naming it', async () => {
    const page = await lab.browser.newPage();
    await page.goto(lab.url);
    const bogus = join(tmpdir(), 'not-a-model.gguf');
    writeFileSync(bogus, readFileSync(new URL('../../README.md', import.meta.url)));
    await page.getByTestId('model-file').setInputFiles(bogus);
    const error = page.getByTestId('model-error');
    await error.waitFor({ timeout: 60_000 });
    expect(await error.textContent()).toMatch(/not-a-model\.gguf.*magic/i);
    await page.close();
  });
});

describe('the embedded default model', () => {
  it('loads the bundled tiny model with one click and generates from it', async () => {
    const page = await lab.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    await page.getByTestId('load-bundled').click();
    const arch = page.getByTestId('model-arch');
    await arch.waitFor({ timeout: 120_000 });
    expect(await arch.textContent()).toMatch(/^llama: 4 layers, hidden 128, 4 heads \/ 2 KV heads, FFN 384/);
    await page.getByTestId('generate-max-tokens').fill('4');
    await page.getByTestId('generate').click();
    await page.getByTestId('generate-stats').waitFor({ timeout: 240_000 });
    expect(await page.getByTestId('generate-stats').textContent()).toMatch(/^4 tokens \(max-tokens\)/);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('models kept in the browser', () => {
  it('keeps a copy of the loaded model, loads it again after a reload without the file, and forgets it', async () => {
    const page = await lab.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    await page.getByTestId('model-keep').check();
    await loadBundledModel(page);
    const kept = page.getByTestId('kept-models');
    await kept.waitFor({ timeout: 60_000 });
    expect(await kept.textContent()).toMatch(/tiny-math\.gguf \(1\.\d+ MiB, kept /);
    expect(await page.getByTestId('storage-usage').textContent()).toMatch(/storage in the browser: [\d.]+ MiB of [\d.]+ [KMGT]iB used/);

    await page.reload();
    await page.getByTestId('load-kept').click();
    const arch = page.getByTestId('model-arch');
    await arch.waitFor({ timeout: 120_000 });
    expect(await arch.textContent()).toMatch(/^llama: 4 layers, hidden 128/);

    await page.getByTestId('forget-kept').click();
    await expect.poll(() => kept.count(), { timeout: 30_000 }).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openLabBrowser, watchPageErrors } from './lab';

let lab: Awaited<ReturnType<typeof openLabBrowser>>;

beforeAll(async () => {
  lab = await openLabBrowser();
});

afterAll(async () => {
  await lab?.close();
});

describe('the lab in Chromium', () => {
  it('shows the WebGPU adapter the engine worker opened', async () => {
    const page = await lab.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    const gpuAdapter = page.getByTestId('gpu-adapter');
    await gpuAdapter.waitFor({ timeout: 60_000 });
    console.log(`[lora-lab e2e] page adapter: ${await gpuAdapter.textContent()}`);
    expect((await gpuAdapter.textContent())?.trim().length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('multiplies two matrices on WebGPU in the worker and shows the verified result', async () => {
    const page = await lab.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(lab.url);
    await page.getByTestId('run-check').click();
    const result = page.getByTestId('check-result');
    await result.waitFor({ timeout: 120_000 });
    expect(await result.textContent()).toMatch(/^Verified: 256×256 · 256×256 on the GPU, max error/);
    await page.screenshot({ path: `${ARTIFACTS}/gpu-check.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('cancels a long GPU job from the page without blocking it', async () => {
    const page = await lab.browser.newPage();
    await page.goto(lab.url);
    await page.getByRole('button', { name: 'Run 200 times' }).click();
    await page.locator('progress').waitFor({ timeout: 60_000 });
    // The page stays responsive while the worker computes: the cancel button reacts at once.
    await page.getByTestId('cancel-check').click();
    const error = page.getByTestId('check-error');
    await error.waitFor({ timeout: 60_000 });
    expect(await error.textContent()).toMatch(/cancelled by the user/);
    await page.close();
  });

  it('explains what to do when the browser has no WebGPU', async () => {
    const context = await lab.browser.newContext();
    await context.addInitScript(() => {
      // Simulate a browser without WebGPU, in the page and in its workers.
      Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined });
    });
    const page = await context.newPage();
    await page.goto(lab.url);
    const message = page.getByTestId('gpu-error');
    await message.waitFor({ timeout: 60_000 });
    expect(await message.textContent()).toMatch(/WebGPU is not available.*Chrome/);
    await context.close();
  });
});

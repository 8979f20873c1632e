import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import ts from 'typescript';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/lib/chromium';
import { REPO_ROOT } from '../sharedData';

/**
 * Our TypeScript modules in headless Chromium, for what only a browser has (OPFS, `navigator.storage`): `/src/<path>`
 * serves `src/<path>.ts` transpiled (imports are extensionless, so they resolve to the same files), `scenarios`
 * serves test modules by URL and `assets` other files the modules fetch. The page comes from 127.0.0.1, a secure
 * context, where OPFS exists.
 */
export interface PageModules {
  page: Page;
  /** Imports `url` in the page and calls its `run(args)`. */
  run<T>(url: string, args?: unknown): Promise<T>;
  close(): Promise<void>;
}

function transpiled(path: string): string | undefined {
  const file = `${REPO_ROOT}src/${path}.ts`;
  if (path.includes('..') || !existsSync(file)) return undefined;
  return ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
  }).outputText;
}

/** A file the page fetches that is not a module, e.g. the site's sample problems. */
export interface PageAsset {
  contentType: string;
  body: string;
}

export async function openPageModules(scenarios: Record<string, string>, assets: Record<string, PageAsset> = {}): Promise<PageModules> {
  const server: Server = createServer((request, response) => {
    const url = request.url ?? '/';
    const js = scenarios[url] ?? (url.startsWith('/src/') ? transpiled(url.slice('/src/'.length)) : undefined);
    const asset = assets[url];
    if (js !== undefined) {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(js);
    } else if (asset) {
      response.writeHead(200, { 'content-type': asset.contentType });
      response.end(asset.body);
    } else {
      response.writeHead(url === '/' ? 200 : 404, { 'content-type': 'text/html' });
      response.end('<!doctype html><title>lab modules</title>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const opened = browser;
    return {
      page,
      // A string, so the test runner's module transform leaves the page's own `import()` alone.
      run: async <T>(url: string, args?: unknown) =>
        (await page.evaluate(`import('${url}').then((m) => m.run(${JSON.stringify(args ?? null)}))`)) as T,
      close: async () => {
        await opened.close();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  } catch (error) {
    await browser?.close();
    server.close();
    throw error;
  }
}

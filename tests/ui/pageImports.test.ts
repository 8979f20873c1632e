import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../sharedData';

const UI_DIR = join(REPO_ROOT, 'src', 'ui');
const API_MODULE = join(REPO_ROOT, 'src', 'worker', 'api');
// Starting the engine's worker is the one place the page names an engine module other than the API.
const ENGINE_CLIENT = join(UI_DIR, 'engineClient.ts');
const WORKER_ENTRY = join(REPO_ROOT, 'src', 'worker', 'worker.ts');

/** Module specifiers of `import … from`, `export … from`, bare `import '…'`, `import('…')` and `new URL('…')`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\bnew URL\(\s*)(['"])([^'"]+)\1/g;

/** The specifiers in `source` (the text of page file `file`) that reach outside src/ui/ other than to the API module. */
function engineImports(file: string, source: string): string[] {
  const outside: string[] = [];
  for (const [, , specifier] of source.matchAll(SPECIFIER)) {
    if (!specifier.startsWith('.') && !specifier.startsWith('/')) continue; // a package
    const target = resolve(dirname(file), specifier);
    const inPage = target.startsWith(UI_DIR + sep);
    const isApi = target === API_MODULE || target === `${API_MODULE}.ts`;
    const isWorkerEntry = file === ENGINE_CLIENT && target === WORKER_ENTRY;
    if (!inPage && !isApi && !isWorkerEntry) outside.push(specifier);
  }
  return outside;
}

function pageFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return pageFiles(path);
    return /\.(ts|svelte)$/.test(entry.name) ? [path] : [];
  });
}

describe('what the page imports', () => {
  it('takes everything of the engine from src/worker/api.ts (and starts the worker in engineClient.ts)', () => {
    const files = pageFiles(UI_DIR);
    expect(files).toContain(join(UI_DIR, 'App.svelte'));
    const outside = files.flatMap((file) =>
      engineImports(file, readFileSync(file, 'utf8')).map((s) => `${relative(REPO_ROOT, file)}: ${s}`),
    );
    expect(outside).toEqual([]);
  });

  it('counts as engine imports any path outside src/ui/, and lets through the API module, page files and packages', () => {
    const file = join(UI_DIR, 'evaluate', 'Panel.svelte');
    const source = [
      "import { formatBytes } from '../../gpu/allocator';",
      "import type { LengthHistogram } from '../../data/datasetStats';",
      "export { detectFormat } from '../../eval/benchmarks';",
      "const worker = new URL('../../worker/worker.ts', import.meta.url);",
      "const lazy = import('../../model/model');",
      "import '/src/gpu/gpu';",
      "import { detectFormat, type GpuStatus } from '../../worker/api';",
      "import MathText from '../math/MathText.svelte';",
      "import * as Comlink from 'comlink';",
    ].join('\n');
    expect(engineImports(file, source)).toEqual([
      '../../gpu/allocator',
      '../../data/datasetStats',
      '../../eval/benchmarks',
      '../../worker/worker.ts',
      '../../model/model',
      '/src/gpu/gpu',
    ]);
    expect(engineImports(ENGINE_CLIENT, "new Worker(new URL('../worker/worker.ts', import.meta.url))")).toEqual([]);
  });
});

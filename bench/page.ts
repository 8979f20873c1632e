import * as Comlink from 'comlink';
import type { BenchWorkerApi } from './worker';
import type { BenchRow, DeviceDescription } from './harness';

interface BenchState {
  done: boolean;
  adapter?: string;
  device?: DeviceDescription;
  rows?: BenchRow[];
  error?: string;
  log: string[];
}

declare global {
  interface Window {
    __bench: BenchState;
  }
}

const state: BenchState = { done: false, log: [] };
window.__bench = state;
const out = document.getElementById('out')!;

function print(line: string): void {
  state.log.push(line);
  out.textContent += line + '\n';
}

const worker = Comlink.wrap<BenchWorkerApi>(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }));
const only = new URLSearchParams(location.search).getAll('suite');
worker
  .run(only, Comlink.proxy(print))
  .then((result) => {
    state.adapter = result.device.adapter;
    state.device = result.device;
    state.rows = result.rows;
    print(`done: ${result.rows.length} rows on ${result.device.adapter}`);
  })
  .catch((error: unknown) => {
    state.error = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
    print(`error: ${state.error}`);
  })
  .finally(() => {
    state.done = true;
  });

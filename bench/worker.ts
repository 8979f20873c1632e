import * as Comlink from 'comlink';
import { Gpu } from '../src/gpu/gpu';
import { browserShaderLibrary } from '../src/gpu/browserShaderLibrary';
import { describeGpuAdapter } from '../src/gpu/acquire';
import { createBenchContext, type BenchRow, type BenchSuite, type DeviceDescription } from './harness';

const suites = import.meta.glob('./suites/*.ts', { eager: true, import: 'suite' }) as Record<string, BenchSuite>;

/** Runs benchmark suites in a worker, on the same WebGPU path the lab's engine uses. */
const api = {
  suiteNames(): string[] {
    return Object.values(suites)
      .map((s) => s.name)
      .sort();
  },
  async run(only: string[], log: (message: string) => void): Promise<{ device: DeviceDescription; rows: BenchRow[] }> {
    const gpu = await Gpu.create(navigator.gpu, browserShaderLibrary());
    const ctx = createBenchContext(gpu, log);
    const rows: BenchRow[] = [];
    try {
      for (const suite of Object.values(suites).sort((a, b) => a.name.localeCompare(b.name))) {
        if (only.length > 0 && !only.includes(suite.name)) continue;
        log(`suite ${suite.name}`);
        rows.push(...(await suite.run(ctx)));
      }
      const features = Object.entries(gpu.features)
        .filter(([, on]) => on)
        .map(([name]) => name);
      return { device: { adapter: describeGpuAdapter(gpu.info), features, limits: { ...gpu.limits } }, rows };
    } finally {
      gpu.destroy();
    }
  },
};

export type BenchWorkerApi = typeof api;
Comlink.expose(api);

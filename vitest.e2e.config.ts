import { defineConfig } from 'vitest/config';

// End-to-end tests: the built lab (dist/) served on 127.0.0.1 and driven in headless Chromium with WebGPU.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});

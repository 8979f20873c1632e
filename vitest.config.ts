import { defineConfig } from 'vitest/config';

// Unit tests run in Node on a real WebGPU device (Dawn); see tests/setup/gpuGlobalSetup.ts.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    globalSetup: ['tests/setup/gpuGlobalSetup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});

import { defineConfig } from 'vitest/config';

// Real daemons, real signals: forks keep each test file in its own process,
// and the timeouts leave room for node start-up on a loaded 2-core machine.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fileParallelism: true,
    maxWorkers: 2,
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default', './test/helpers/summary-reporter.mts'],
  },
});

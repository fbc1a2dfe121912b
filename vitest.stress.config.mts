import { defineConfig } from 'vitest/config';
import base from './vitest.config.mts';

// `npm run test:stress`: only the failure-mode suite, at full counts, one file at a time.
export default defineConfig({
  test: {
    ...base.test,
    projects: undefined,
    include: ['test/stress/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});

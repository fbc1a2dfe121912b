import { defineConfig } from 'vitest/config';

// The one test that rewinds the pid counter (/proc/sys/kernel/ns_last_pid, to
// make a real PID reuse): every process forked meanwhile gets a recycled pid,
// a pid another test may still be watching, so it runs after the rest, alone.
const PID_REUSE = 'test/stress/pid-reuse.test.ts';

// Real daemons, real signals: forks keep each test file in its own process,
// and the timeouts leave room for node start-up on a loaded 2-core machine.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fileParallelism: true,
    maxWorkers: 2,
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default', './test/helpers/summary-reporter.mts'],
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: [PID_REUSE] } },
      { extends: true, test: { name: 'pid-reuse', include: [PID_REUSE], sequence: { groupOrder: 1 } } },
    ],
  },
});

// Prints one plain closing line, "tests: N passed, N failed, N skipped", that
// CI tooling reads regardless of the runner, after vitest's own summary.
import * as fs from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (m.state() === 'failed' && ![...m.children.allTests()].some((t) => t.result().state === 'failed')) failed++; // a file that failed to load
    }
    fs.writeSync(1, `\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

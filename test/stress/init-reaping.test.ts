// Failure-mode suite: init reaps orphans. The app under `run --init` (a child
// subreaper, as PID 1 of a container would be) leaves a burst of orphans that
// all exit at the same moment: their SIGCHLDs coalesce, and init must still
// reap every one (waitpid(-1) until none is left). Zombies left are counted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURES } from '../helpers/cli';
import { childrenOf, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';
import { count, figure } from '../helpers/stress';

const ORPHANS = count(20, 500);
let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});


describe('init reaps orphans', () => {
  it(`${ORPHANS} orphans exiting together leave no zombie`, async () => {
    sb = sandbox();
    const touched = path.join(sb.dir, 'orphan');
    const init = spawn(process.execPath, [BIN, 'run', path.join(FIXTURES, 'orphans.js'), '--init', ...sb.flags, '--', sb.tag, `--touch=${touched}`, `--count=${ORPHANS}`, '--orphan-ms=500'], { stdio: 'ignore' });
    await waitFor(() => sb.readLog().includes(' app-ready '), 15_000, 'the app to be ready');
    const app = Number(/runs as pid (\d+)/.exec(sb.readLog())![1]);
    const done = (): number => fs.readdirSync(sb.dir).filter((f) => f.startsWith('orphan.')).length;
    await waitFor(() => done() === ORPHANS, 60_000, `all ${ORPHANS} orphans to finish`);
    // Each exits right after its touch; then init's children must come down to the app alone.
    let zombies = -1;
    try {
      await waitFor(() => childrenOf(init.pid!).every((c) => c.pid === app), 15_000, 'every orphan to be reaped');
      zombies = 0;
    } finally {
      if (zombies < 0) zombies = childrenOf(init.pid!).filter((c) => c.state === 'Z').length;
      figure({ item: 'init reaps orphans', tried: 'orphans left by the app under run --init, exiting at the same moment', times: ORPHANS, held: `zombies left: ${zombies}` });
    }
    init.kill('SIGTERM');
    expect((await once(init, 'exit'))[0]).toBe(0);
  });
});

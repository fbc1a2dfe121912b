// A daemon's program gets the library the runtime already holds
// (src/runtime/own-api.ts): `require('taskdaemon')` / `import ... from
// 'taskdaemon'` load no second copy of its files, every public name is there
// (ES module named imports included), and the lazy parts still load when used.
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, td } from '../helpers/cli';
import { waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

describe("the program's taskdaemon is the runtime's own", () => {
  it('an ES module daemon imports every name from it; only the boot bundle and the package entry are loaded, then what it calls', async () => {
    sb = sandbox();
    const r = await td(['start', path.join(FIXTURES, 'library.mjs'), ...sb.flags, '--', sb.tag]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    let line = '';
    await waitFor(() => (line = sb.readLog().split('\n').find((l) => l.includes(' library-facts ')) ?? '') !== '', 5_000, () => `library-facts in ${sb.readLog()}`);
    const facts = JSON.parse(line.slice(line.indexOf('{'))) as { loaded: string[]; sameAsRequire: boolean; names: object; status: string; lazyError: object };
    expect(facts.names).toEqual({ defineDaemon: 'function', DaemonManager: 'function', TaskdaemonError: 'function', EXIT_OK: 0 });
    expect(facts.sameAsRequire).toBe(true);
    expect(facts.status).toBe('stopped');
    // One errors module for all of it: what a lazy part throws is the TaskdaemonError imported.
    expect(facts.lazyError).toEqual({ instanceOfImported: true, code: 'ERR_INVALID_ARG_VALUE' });
    // dist/index.js is the runtime's own (no define.js, errors.js, manager.js, native.js of a second copy);
    // daemonStatus() loaded its module (and what that needs) when called.
    expect(facts.loaded).toContain(path.join('dist', 'index.js'));
    expect(facts.loaded).toContain(path.join('dist', 'runtime', 'boot.js'));
    expect(facts.loaded).toContain(path.join('dist', 'control', 'client', 'stop-status.js'));
    for (const second of ['runtime/define.js', 'manager.js']) expect(facts.loaded).not.toContain(path.join('dist', second));
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
  });
});

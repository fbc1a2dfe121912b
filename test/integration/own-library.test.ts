// A daemon's program gets the library the runtime already holds
// (src/runtime/own-api.ts): `require('taskdaemon')` / `import ... from
// 'taskdaemon'` load no second copy of its files, every public name is there
// (ES module named imports included), and the lazy parts still load when used.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, td } from '../helpers/cli';
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

describe("a program's require('taskdaemon') from its own node_modules", () => {
  // The fixture copied into `dir/app`, beside a node_modules/taskdaemon made by `make`; its facts once started.
  async function factsOf(make: (nodeModules: string) => void): Promise<{ seeded: boolean; esmResolverLoaded: boolean; esmResolverAtBoot: boolean; resolved: string; other: boolean }> {
    const app = path.join(sb.dir, 'app');
    fs.mkdirSync(path.join(app, 'node_modules'), { recursive: true });
    make(path.join(app, 'node_modules'));
    const entry = path.join(app, 'main.js');
    fs.copyFileSync(path.join(FIXTURES, 'own-resolution.js'), entry);
    const r = await td(['start', entry, ...sb.flags]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    let line = '';
    await waitFor(() => (line = sb.readLog().split('\n').find((l) => l.startsWith('resolution-facts ')) ?? '') !== '', 5_000, () => `resolution-facts in ${sb.readLog()}`);
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    return JSON.parse(line.slice(line.indexOf('{'))) as never;
  }

  it('finds this package without node resolving its "exports" again', async () => {
    sb = sandbox();
    const facts = await factsOf((nm) => fs.symlinkSync(ROOT, path.join(nm, 'taskdaemon')));
    expect(facts).toMatchObject({ seeded: true, resolved: fs.realpathSync(path.join(ROOT, 'dist', 'index.js')), other: false });
    // Node 20 and 22 load the ES module resolver only to read "exports"; Node 24 has it from boot.
    if (!facts.esmResolverAtBoot) expect(facts.esmResolverLoaded).toBe(false);
  });

  it('gets its own copy when node_modules holds another taskdaemon', async () => {
    sb = sandbox();
    const facts = await factsOf((nm) => {
      fs.mkdirSync(path.join(nm, 'taskdaemon'));
      fs.writeFileSync(path.join(nm, 'taskdaemon', 'package.json'), JSON.stringify({ name: 'taskdaemon', version: '0.0.1', main: 'index.js' }));
      fs.writeFileSync(path.join(nm, 'taskdaemon', 'index.js'), 'exports.other = true;\n');
    });
    expect(facts).toMatchObject({ seeded: false, other: true, resolved: path.join(fs.realpathSync(sb.dir), 'app', 'node_modules', 'taskdaemon', 'index.js') });
  });
});

// Every code block of the README that claims to run is run here, as written:
// blocks marked `<!-- test:ID -->` are extracted from README.md itself, so the
// README cannot drift from what works. Unmarked blocks are shell sessions,
// output samples or fragments, and a check below keeps it that way.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { nobodyReadable, ROOT, td } from '../helpers/cli';
import { freePort } from '../helpers/net';
import { pidsWith, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

// The fenced block right after `<!-- test:ID ... -->`.
function block(id: string): string {
  const m = new RegExp(`<!-- test:${id}\\b[^>]*-->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(README);
  if (!m) throw new Error(`README has no block marked test:${id}`);
  return m[1]!;
}

// A project directory where `require('taskdaemon')` finds this package (a copy nobody can read, for --user nobody).
function project(s: Sandbox, pkgRoot = ROOT): string {
  fs.mkdirSync(path.join(s.dir, 'node_modules'));
  fs.symlinkSync(pkgRoot, path.join(s.dir, 'node_modules', 'taskdaemon'));
  return s.dir;
}

// TypeScript blocks run as CommonJS; top-level await needs an async body.
function runnableTs(code: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require('typescript') as typeof import('typescript');
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  return `(async () => {\n${js}\n})().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });\n`;
}

const sandboxes: Sandbox[] = [];
afterEach(async () => {
  for (const s of sandboxes.splice(0)) await s.cleanup();
});
const box = (): Sandbox => {
  const s = sandbox('td-readme');
  sandboxes.push(s);
  return s;
};

describe('README code blocks', () => {
  it('every js, ts and toml block is either marked to run or is a fragment on purpose', () => {
    const fences = [...README.matchAll(/(<!-- test:[^>]*-->\n)?```(js|ts|toml|mjs)\n/g)];
    const unmarked = fences.filter((m) => !m[1]).map((m) => README.slice(0, m.index).split('\n').length);
    expect(unmarked, `README lines ${unmarked.join(', ')} hold code blocks no test runs`).toEqual([]);
  });

  it('the complete daemon starts, serves, reloads (applied and rejected), reports health and stops', async () => {
    const s = box();
    const dir = project(s);
    const app = path.join(dir, 'app.js');
    fs.writeFileSync(app, block('daemon'));
    const port = await freePort();
    const config = path.join(dir, 'app.json');
    fs.writeFileSync(config, JSON.stringify({ port, greeting: 'hi' }));
    const start = await td(['start', app, ...s.flags, '--env', `APP_CONFIG=${config}`, '--', s.tag]);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hi\n');

    fs.writeFileSync(config, JSON.stringify({ port, greeting: 'hello again' }));
    expect((await td(['reload', '--pidfile', s.pidfile])).code).toBe(0);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hello again\n');
    fs.writeFileSync(config, JSON.stringify({ port: port + 1 }));
    const rejected = await td(['reload', '--pidfile', s.pidfile]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('the port cannot change on reload');

    const health = await td(['health', '--pidfile', s.pidfile, '--json']);
    expect(health.code).toBe(0);
    expect(JSON.parse(health.stdout)).toMatchObject({ ok: true, detail: { served: 2 } });
    const stop = await td(['stop', '--pidfile', s.pidfile]);
    expect(stop.code).toBe(0);
    // A clean stop: run()'s aborted sleep is not an error, and shutdown saved the state.
    expect(s.readLog()).not.toMatch(/run-failed|AbortError/);
    expect(JSON.parse(fs.readFileSync(s.stateFile, 'utf8'))).toMatchObject({ starts: 1, lastStop: expect.any(String) });
  });

  it('the supervised app (Supervision) serves from two instances, is restarted gracefully under requests, and stops', async () => {
    const s = box();
    const dir = project(s);
    const app = path.join(dir, 'app.js');
    fs.writeFileSync(app, block('supervised'));
    const port = await freePort();
    const start = await td(['start', app, ...s.flags, '--restart', 'on-failure', '--instances', '2', '--listen', `tcp:127.0.0.1:${port}`, '--', s.tag]);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    const get = async (): Promise<string> => (await (await fetch(`http://127.0.0.1:${port}/`)).text());
    expect(await get()).toMatch(/^hello from \d+\n$/);
    // Requests all along the restart: none may fail.
    let stop = false;
    const failures: unknown[] = [];
    const load = (async () => {
      while (!stop) await get().catch((e: unknown) => failures.push(e));
    })();
    const restart = await td(['restart', s.name, '--pidfile', s.pidfile, '--graceful']);
    stop = true;
    await load;
    expect(restart.stderr).toBe('');
    expect(restart.code).toBe(0);
    expect(failures).toEqual([]);
    expect((await td(['stop', '--pidfile', s.pidfile])).code).toBe(0);
    expect(pidsWith(s.tag)).toEqual([]);
  });

  it('the custom methods example answers `taskdaemon call` as the README shows', async () => {
    const s = box();
    const app = path.join(project(s), 'counter.js');
    fs.writeFileSync(app, `${block('methods')}\n// ${s.tag}\n`);
    expect(await td(['start', app, ...s.flags])).toMatchObject({ code: 0, stderr: '' });
    expect(await td(['call', s.name, 'add', '{"n": 2}', '--pidfile', s.pidfile])).toMatchObject({ code: 0, stdout: '{"count":2}\n' });
    expect(await td(['call', s.name, 'reset', '--pidfile', s.pidfile])).toMatchObject({ code: 0, stdout: '{"count":0}\n' });
    expect(await td(['call', s.name, 'reset', '--pidfile', s.pidfile])).toMatchObject({ code: 1, stdout: '', stderr: 'taskdaemon: nothing to reset\n' });
    expect(s.readLog()).toContain(' added 2');
    expect((await td(['stop', '--pidfile', s.pidfile])).code).toBe(0);
  });

  it('the config file example is valid', async () => {
    const s = box();
    const file = path.join(s.dir, 'api.toml');
    fs.writeFileSync(file, block('config'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { loadConfigFile } = require(path.join(ROOT, 'dist', 'config', 'load.js')) as typeof import('../../src/config/load');
    expect(loadConfigFile(file).options).toMatchObject({ name: 'api', user: 'api', umask: '027', retry: 'TERM/20/KILL/5', healthPort: 8081 });
  });

  it('the self-daemonizing program runs as written (its paths and port swapped for the test\'s)', async () => {
    const s = box();
    const ro = nobodyReadable();
    const dir = project(s, ro.root);
    const port = await freePort();
    const program = path.join(dir, 'server.mjs');
    fs.writeFileSync(
      program,
      block('self')
        .replace("'/run/app.pid'", JSON.stringify(s.pidfile))
        .replace("'/var/log/app.log'", `${JSON.stringify(s.log)}, stateFile: false`)
        .replace('listen(8080,', `listen(${port},`),
    );
    const r = spawnSync(ro.node, [program, s.tag], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const pid = s.readPid()!;
    expect(r.stdout).toBe(`started server (pid ${pid})\n`);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe(`hello from ${pid}\n`);
    expect(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+65534\s/m);
    expect((await td(['stop', '--pidfile', s.pidfile])).code).toBe(0);
  });

  for (const id of ['manager', 'functions']) {
    it(`the library example (${id}) runs as written`, async () => {
      const s = box();
      const dir = project(s, nobodyReadable().root);
      // The example's worker, a plain script, and the example with a name no other test uses.
      fs.writeFileSync(path.join(dir, 'worker.js'), `setInterval(() => {}, 1000); // ${s.tag}\n`);
      const script = path.join(dir, `${id}.js`);
      fs.writeFileSync(script, runnableTs(block(id).replace(/name: 'worker'/g, `name: '${s.name}'`)));
      const r = spawnSync(nobodyReadable().node, [script], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      await waitFor(() => pidsWith(s.tag).length === 0, 5_000, 'the example to leave no worker');
      // The example uses the default paths: its log and state directory stay after a stop, as they should; tests leave nothing.
      fs.rmSync(`/var/log/taskdaemon/${s.name}.log`, { force: true });
      fs.rmSync(`/var/lib/taskdaemon/${s.name}`, { recursive: true, force: true });
    });
  }
});

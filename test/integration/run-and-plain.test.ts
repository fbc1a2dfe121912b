// `taskdaemon run` (foreground, no fork) and plain scripts without defineDaemon.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, isRoot, nobodyReadable, ROOT, td } from '../helpers/cli';
import { alive, flockFree, procStatus, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const PROBE = path.join(FIXTURES, 'probe.js');
let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

function runForeground(args: string[], bin = BIN, node = process.execPath) {
  const child = spawn(node, [bin, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, stderr: () => stderr };
}

describe('run (foreground)', () => {
  it('runs the program in the same process, holds the pidfile, and exits 0 on SIGTERM', async () => {
    sb = sandbox();
    const { child, stderr } = runForeground([PROBE, '--name', sb.name, '--pidfile', sb.pidfile, '--', sb.tag]);
    await waitFor(() => / ready pid \d+/.test(stderr()), 10_000, 'readiness');
    expect(stderr()).toContain(`ready pid ${child.pid}`); // no fork: the CLI process is the daemon
    expect(sb.readPid()).toBe(child.pid);
    expect(flockFree(sb.pidfile)).toBe(false);
    expect((await td(['status', '--pidfile', sb.pidfile])).code).toBe(0);
    expect(stderr()).toContain('"mode":"foreground"');
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(stderr()).toContain('probe-shutdown shutdown hook ran');
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });

  it('runs an ES module with top-level await (on Node 20 the CLI runs from its code cache, whose import() needs the loader\'s)', async () => {
    sb = sandbox();
    const { child, stderr } = runForeground([path.join(FIXTURES, 'plain-esm.mjs'), '--name', sb.name, '--pidfile', sb.pidfile]);
    await waitFor(() => / ready pid \d+/.test(stderr()), 10_000, () => `readiness in ${stderr()}`);
    expect(stderr()).not.toContain('load-failed');
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    await waitFor(() => child.exitCode !== null, 5_000, 'the CLI to exit');
    expect(child.exitCode).toBe(0);
  });

  it('is stopped by `taskdaemon stop` like a started daemon', async () => {
    sb = sandbox();
    const { child, stderr } = runForeground([PROBE, '--name', sb.name, '--pidfile', sb.pidfile, '--', sb.tag]);
    await waitFor(() => stderr().includes(' ready '), 10_000, 'readiness');
    const r = await td(['stop', '--pidfile', sb.pidfile, '--name', sb.name]);
    expect(r.code).toBe(0);
    expect(alive(child.pid!)).toBe(false);
  });

  it('an init failure exits 1 with the message and leaves no pidfile', async () => {
    sb = sandbox();
    const { child, stderr } = runForeground([PROBE, '--name', sb.name, '--pidfile', sb.pidfile, '--', sb.tag, '--init-fail=bad config']);
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr()).toContain('init-failed Error: bad config');
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });

  it.skipIf(!isRoot)('drops privileges in-process with --user', async () => {
    sb = sandbox();
    const pkg = nobodyReadable();
    const { child, stderr } = runForeground([path.join(pkg.fixtures, 'probe.js'), '--name', sb.name, '--pidfile', sb.pidfile, '--no-state-file', '--user', 'nobody', '--', sb.tag], pkg.bin, pkg.node);
    await waitFor(() => stderr().includes(' ready '), 10_000, 'readiness');
    const s = procStatus(child.pid!);
    expect(s.Uid!.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
    expect(s.Groups!.split(/\s+/).filter(Boolean)).toEqual(['65534']);
    expect(s.CapEff).toBe('0000000000000000');
    child.kill('SIGTERM');
    expect((await once(child, 'exit'))[0]).toBe(0);
    // nobody cannot unlink in the sandbox dir: it empties the pidfile instead.
    expect(fs.existsSync(sb.pidfile) ? fs.readFileSync(sb.pidfile, 'utf8') : '').toBe('');
    expect((await td(['status', '--pidfile', sb.pidfile])).code).toBe(3);
  });

  it('--no-pidfile takes no pidfile', async () => {
    sb = sandbox();
    const { child, stderr } = runForeground([PROBE, '--name', sb.name, '--no-pidfile', '--', sb.tag]);
    await waitFor(() => stderr().includes(' ready '), 10_000, 'readiness');
    expect(fs.existsSync(sb.pidfile)).toBe(false);
    child.kill('SIGINT');
    expect((await once(child, 'exit'))[0]).toBe(0);
  });
});

describe('idle daemons', () => {
  it('a daemon with nothing left to do exits cleanly and says why', async () => {
    sb = sandbox();
    const entry = path.join(sb.dir, 'idle.js');
    fs.writeFileSync(entry, `module.exports = require('taskdaemon').defineDaemon({ init() {} });\n// ${sb.tag}\n`);
    fs.mkdirSync(path.join(sb.dir, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(sb.dir, 'node_modules', 'taskdaemon'), 'dir'); // as if installed
    const r = await td(['start', entry, ...sb.flags, '--', sb.tag]);
    expect(r.code).toBe(0);
    await waitFor(() => sb.readLog().includes('idle-exit'), 5_000, 'the idle exit');
    await waitFor(() => !fs.existsSync(sb.pidfile), 5_000, 'the pidfile to go');
    expect((await td(['status', '--pidfile', sb.pidfile])).code).toBe(3);
  });
});

describe('plain scripts', () => {
  it('a CommonJS script is ready when its top level has run, and stops on SIGTERM', async () => {
    sb = sandbox();
    const r = await td(['start', path.join(FIXTURES, 'plain.js'), ...sb.flags, '--', sb.tag, 'x']);
    expect(r.code).toBe(0);
    expect(sb.readLog()).toContain(`plain script up, argv ["${sb.tag}","x"]`);
    const stop = await td(['stop', '--pidfile', sb.pidfile]);
    expect(stop.code).toBe(0);
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });

  it('an ES module with top-level await is ready only after the await', async () => {
    sb = sandbox();
    const r = await td(['start', path.join(FIXTURES, 'plain-esm.mjs'), ...sb.flags, '--', sb.tag]);
    expect(r.code).toBe(0);
    const log = sb.readLog();
    // The script's own line comes before readiness, so start returned after it.
    expect(log.indexOf('esm script up after top-level await')).toBeGreaterThan(-1);
    expect(log.indexOf('esm script up')).toBeLessThan(log.indexOf(' ready pid'));
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
  });

  it('a script that throws at load fails start with its message', async () => {
    sb = sandbox();
    const entry = path.join(sb.dir, 'broken.js');
    fs.writeFileSync(entry, `throw new Error('cannot parse settings.json');\n`);
    const r = await td(['start', entry, ...sb.flags, '--', sb.tag]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`taskdaemon: cannot load ${entry}: cannot parse settings.json`);
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });

  it('a script that exits by itself before ready: start reports it', async () => {
    sb = sandbox();
    const entry = path.join(sb.dir, 'quits.js');
    fs.writeFileSync(entry, `console.error('giving up'); process.exit(3);\n`);
    const r = await td(['start', entry, ...sb.flags, '--', sb.tag]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('daemon exited with code 3 before it was ready');
    expect(r.stderr).toContain('giving up');
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });
});

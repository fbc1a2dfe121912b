// start's failure paths: each gets one clear line, the contract's exit code,
// and leaves nothing behind (no process, no pidfile content, no lock).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { AS_NOBODY, BIN, FIXTURES, isRoot, nobodyReadable, td } from '../helpers/cli';
import { alive, flockFree, pidsWith, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const PROBE = path.join(FIXTURES, 'probe.js');
let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

function expectNothingLeft(s: Sandbox): void {
  expect(pidsWith(s.tag)).toEqual([]);
  expect(fs.existsSync(s.pidfile)).toBe(false);
}

describe('start: failures leave nothing behind', () => {
  it('init that throws: exit 1, its message on stderr, no process, no pidfile, no lock', async () => {
    sb = sandbox();
    const r = await td(['start', PROBE, ...sb.flags, '--', sb.tag, '--init-fail=database unreachable at 10.0.0.5']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('taskdaemon: database unreachable at 10.0.0.5');
    expect(r.stdout).toBe('');
    expectNothingLeft(sb);
    // The log keeps the full story.
    expect(sb.readLog()).toContain('init-failed Error: database unreachable at 10.0.0.5');
    // And the next start works.
    const again = await td(['start', PROBE, ...sb.flags, '--', sb.tag]);
    expect(again.code).toBe(0);
  });

  it('a second start: exit 1 "already running (pid N)", or 0 with --oknodo', async () => {
    sb = sandbox();
    expect((await td(['start', PROBE, ...sb.flags, '--', sb.tag])).code).toBe(0);
    const pid = sb.readPid();
    const second = await td(['start', PROBE, ...sb.flags, '--', sb.tag]);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`taskdaemon: already running (pid ${pid})\n`);
    const oknodo = await td(['start', PROBE, ...sb.flags, '--oknodo', '--', sb.tag]);
    expect(oknodo.code).toBe(0);
    expect(oknodo.stdout).toBe(`${sb.name} is already running (pid ${pid})\n`);
    expect(pidsWith(sb.tag)).toEqual([pid]); // still exactly one daemon
    expect(sb.readPid()).toBe(pid);
  });

  it('kill -9 the daemon: status says dead (1), the next start succeeds', async () => {
    sb = sandbox();
    expect((await td(['start', PROBE, ...sb.flags, '--', sb.tag])).code).toBe(0);
    const pid = sb.readPid()!;
    process.kill(pid, 'SIGKILL');
    // The lock, not the zombie main thread: node's other threads may still hold the files for a moment.
    await waitFor(() => !alive(pid) && flockFree(sb.pidfile), 5_000, 'the daemon to die');
    const st = await td(['status', '--pidfile', sb.pidfile]);
    expect(st.code).toBe(1);
    expect(st.stdout).toContain(`names pid ${pid}`);
    const again = await td(['start', PROBE, ...sb.flags, '--', sb.tag]);
    expect(again.code).toBe(0);
    expect(sb.readPid()).not.toBe(pid);
    expect((await td(['status', '--pidfile', sb.pidfile])).code).toBe(0);
  });

  it('a daemon that is not ready in time is stopped: exit 1, nothing left', async () => {
    sb = sandbox();
    const r = await td(['start', PROBE, ...sb.flags, '--ready-timeout', '1', '--', sb.tag, '--init-delay=60000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not ready within 1s');
    expectNothingLeft(sb);
  });

  it('Ctrl-C while waiting for readiness stops the half-started daemon', async () => {
    sb = sandbox();
    const child = spawn(process.execPath, [BIN, 'start', PROBE, ...sb.flags, '--', sb.tag, '--init-delay=60000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => sb.readLog().includes('probe-init'), 10_000, 'the daemon to run init');
    expect(pidsWith(sb.tag).filter((p) => p !== child.pid)).toHaveLength(1); // the daemon, besides the CLI
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain('interrupted while waiting for readiness');
    expectNothingLeft(sb);
  });

  it('refuses a symlinked log file and does not touch its target', async () => {
    sb = sandbox();
    const target = path.join(sb.dir, 'precious');
    fs.writeFileSync(target, 'keep me\n');
    fs.symlinkSync(target, sb.log);
    const r = await td(['start', PROBE, ...sb.flags, '--', sb.tag]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`taskdaemon: refusing to log to ${sb.log}: it is a symbolic link\n`);
    expect(fs.readFileSync(target, 'utf8')).toBe('keep me\n');
    expectNothingLeft(sb);
  });

  it('refuses a symlinked pidfile and does not create its target', async () => {
    sb = sandbox();
    const target = path.join(sb.dir, 'target.pid');
    fs.symlinkSync(target, sb.pidfile);
    const r = await td(['start', PROBE, ...sb.flags, '--', sb.tag]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is a symbolic link');
    expect(fs.existsSync(target)).toBe(false);
    expect(pidsWith(sb.tag)).toEqual([]);
  });

  const badInput: [string, string[], number, RegExp][] = [
    ['an impossible umask', ['--umask', '0999'], 2, /^taskdaemon: invalid umask '0999'/],
    ['an unknown user', ['--user', 'no-such-user-x'], 2, /^taskdaemon: unknown user 'no-such-user-x'/],
    ['an unknown group', ['--group', 'no-such-group-x'], 2, /^taskdaemon: unknown group 'no-such-group-x'/],
    ['a bad --env', ['--env', 'NOEQUALS'], 2, /^taskdaemon: invalid --env 'NOEQUALS'/],
    ['a bad --ready-timeout', ['--ready-timeout', 'soon'], 2, /^taskdaemon: invalid --ready-timeout 'soon'/],
    ['a missing --chdir', ['--chdir', '/no/such/dir'], 2, /^taskdaemon: invalid --chdir '\/no\/such\/dir'/],
    ['an unknown flag', ['--frobnicate'], 2, /^taskdaemon: unknown option '--frobnicate'/],
  ];
  for (const [what, flags, code, message] of badInput) {
    it(`rejects ${what} with exit ${code}`, async () => {
      sb = sandbox();
      const r = await td(['start', PROBE, ...sb.flags, ...flags, '--', sb.tag]);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
      expectNothingLeft(sb);
      expect(fs.existsSync(sb.log)).toBe(false);
    });
  }

  it('rejects a missing entry with exit 5', async () => {
    sb = sandbox();
    const r = await td(['start', path.join(sb.dir, 'nope.js'), ...sb.flags]);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(`taskdaemon: entry not found: ${path.join(sb.dir, 'nope.js')}\n`);
    expectNothingLeft(sb);
  });

  it('rejects no entry at all with exit 2', async () => {
    sb = sandbox();
    const r = await td(['start', ...sb.flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^taskdaemon: missing entry/);
  });

  it.skipIf(!isRoot)('an unwritable pidfile directory: exit 4 (insufficient privilege)', async () => {
    sb = sandbox();
    const locked = path.join(sb.dir, 'root-only');
    fs.mkdirSync(locked, { mode: 0o755 });
    const pidfile = path.join(locked, 'x.pid');
    const home = fs.mkdtempSync(path.join(sb.dir, 'home-'));
    fs.chownSync(home, 65534, 65534);
    // The CLI itself runs as nobody, like an operator who forgot sudo.
    const pkg = nobodyReadable();
    const r = await td(['start', path.join(pkg.fixtures, 'probe.js'), '--name', sb.name, '--pidfile', pidfile, '--stdout', path.join(home, 'x.log'), '--', sb.tag], {
      wrap: AS_NOBODY,
      bin: pkg.bin,
      node: pkg.node,
      env: { HOME: home },
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^taskdaemon: EACCES: permission denied, open '.*x\.pid'/);
    expect(fs.existsSync(pidfile)).toBe(false);
    expect(pidsWith(sb.tag)).toEqual([]);
  });

  it.skipIf(!isRoot)('an entry the daemon user cannot read: exit 4, said plainly, nothing left', async () => {
    sb = sandbox();
    const pkg = nobodyReadable();
    const hidden = fs.mkdtempSync(path.join(sb.dir, 'private-')); // 0700, root's
    const entry = path.join(hidden, 'app.js');
    fs.copyFileSync(path.join(pkg.fixtures, 'probe.js'), entry);
    const r = await td(['start', entry, ...sb.flags, '--user', 'nobody', '--', sb.tag], { bin: pkg.bin, node: pkg.node });
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n')[0]).toBe(`taskdaemon: nobody cannot read ${entry}: EACCES (permission denied)`);
    expect(r.stderr).toContain('every directory above it must be open to that user');
    expectNothingLeft(sb);
  });

  it.skipIf(!isRoot)('--user without root: exit 4', async () => {
    sb = sandbox();
    const home = fs.mkdtempSync(path.join(sb.dir, 'home-'));
    fs.chownSync(home, 65534, 65534);
    const pkg = nobodyReadable();
    const r = await td(['start', path.join(pkg.fixtures, 'probe.js'), '--name', sb.name, '--pidfile', path.join(home, 'x.pid'), '--stdout', path.join(home, 'x.log'), '--user', 'root', '--', sb.tag], {
      wrap: AS_NOBODY,
      bin: pkg.bin,
      node: pkg.node,
      env: { HOME: home },
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/needs root/);
    expect(pidsWith(sb.tag)).toEqual([]);
  });

  it('two concurrent starts: exactly one wins', async () => {
    sb = sandbox();
    const [a, b] = await Promise.all([td(['start', PROBE, ...sb.flags, '--', sb.tag]), td(['start', PROBE, ...sb.flags, '--', sb.tag])]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    expect(pidsWith(sb.tag)).toHaveLength(1);
    expect(flockFree(sb.pidfile)).toBe(false);
  });
});


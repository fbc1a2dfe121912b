// stop, status and signals against real daemons: graceful shutdown, the
// SIGKILL fallback, LSB status codes, and "only the lock holder is signalled".
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AS_NOBODY, FIXTURES, isRoot, nobodyReadable, td } from '../helpers/cli';
import { alive, flockFree, pidsWith, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const PROBE = path.join(FIXTURES, 'probe.js');
let sb: Sandbox;
// Victims carry the sandbox's tag: its cleanup kills them and what they started (their sleep).
afterEach(async () => {
  await sb?.cleanup();
});

async function startProbe(s: Sandbox, ...args: string[]): Promise<number> {
  const r = await td(['start', PROBE, ...s.flags, '--', s.tag, ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return s.readPid()!;
}

describe('status', () => {
  it('reports 3 when never started, 0 while running, 3 after stop', async () => {
    sb = sandbox();
    const before = await td(['status', '--pidfile', sb.pidfile, '--name', sb.name]);
    expect(before.code).toBe(3);
    expect(before.stdout).toBe(`${sb.name} is not running\n`);
    const pid = await startProbe(sb);
    const running = await td(['status', '--pidfile', sb.pidfile, '--name', sb.name]);
    expect(running.code).toBe(0);
    expect(running.stdout.split('\n')[0]).toBe(`${sb.name} is running (pid ${pid})`);
    expect(running.stdout).toMatch(/\n  phase ready, up \d+s, 0 in flight, health ok\n/);
    const j = await td(['status', '--pidfile', sb.pidfile, '--name', sb.name, '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ name: sb.name, state: 'running', pid, pidfile: sb.pidfile, daemon: { pid, phase: 'ready' } });
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    expect((await td(['status', '--pidfile', sb.pidfile])).code).toBe(3);
  });

  it('reports 3 for an empty pidfile and 1 for an unlocked one naming a pid', async () => {
    sb = sandbox();
    fs.writeFileSync(sb.pidfile, '');
    expect((await td(['status', '--pidfile', sb.pidfile])).code).toBe(3);
    fs.writeFileSync(sb.pidfile, '12345\n');
    const r = await td(['status', '--pidfile', sb.pidfile, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'dead', pid: 12345 });
  });

  // A kernel thread (kthreadd, pid 2), like a process that is exiting, has no
  // memory map, so its /proc/PID/fd is root's: EACCES for a user, yet it holds no lock.
  it.skipIf(!isRoot)('as a user: a locked pidfile naming a kernel thread is "running, held by another pid", not EACCES', async () => {
    sb = sandbox();
    const home = fs.mkdtempSync(path.join(sb.dir, 'home-'));
    fs.chownSync(home, 65534, 65534);
    const pidfile = path.join(home, 'x.pid');
    fs.writeFileSync(pidfile, '2\n');
    fs.chownSync(pidfile, 65534, 65534);
    const [cmd, ...pre] = AS_NOBODY;
    // Not flock -n: flockFree's own brief lock may come first; the holder waits for it.
    spawn(cmd!, [...pre, 'flock', pidfile, 'sh', '-c', 'sleep 300; exit 0', sb.tag], { stdio: 'ignore' });
    await waitFor(() => !flockFree(pidfile), 5_000, 'flock(1) to take the lock');
    const pkg = nobodyReadable();
    const r = await td(['status', '--pidfile', pidfile, '--name', sb.name, '--json'], { wrap: AS_NOBODY, bin: pkg.bin, node: pkg.node, env: { HOME: home } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'running', namedPid: 2 });
  });

  it('reports 4 when the pidfile cannot be read', async () => {
    sb = sandbox();
    fs.mkdirSync(sb.pidfile); // a directory where the pidfile should be
    const r = await td(['status', '--pidfile', sb.pidfile]);
    expect(r.code).toBe(4);
  });
});

describe('stop', () => {
  it('stops gracefully: shutdown hook runs, process gone, pidfile removed, lock free', async () => {
    sb = sandbox();
    const pid = await startProbe(sb);
    const r = await td(['stop', '--pidfile', sb.pidfile, '--name', sb.name]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`stopped ${sb.name} (pid ${pid})\n`);
    expect(alive(pid)).toBe(false); // stop returned only after the exit
    expect(fs.existsSync(sb.pidfile)).toBe(false);
    expect(sb.readLog()).toMatch(/probe-shutdown shutdown hook ran\n.*stopped exit 0\n$/);
  });

  it('falls back to SIGKILL after --timeout when SIGTERM is ignored', async () => {
    sb = sandbox();
    const pid = await startProbe(sb, '--ignore-term');
    const t0 = Date.now();
    const r = await td(['stop', '--pidfile', sb.pidfile, '--name', sb.name, '--timeout', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('killed after timeout');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(alive(pid)).toBe(false);
    expect(sb.readLog()).toContain('probe-ignored-term');
    expect(fs.existsSync(sb.pidfile)).toBe(false);
    expect(flockFree(sb.pidfile)).toBe(true);
  });

  it('not running: exit 1, or 0 with --oknodo', async () => {
    sb = sandbox();
    const r = await td(['stop', '--pidfile', sb.pidfile, '--name', sb.name]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`taskdaemon: ${sb.name} is not running\n`);
    const ok = await td(['stop', '--pidfile', sb.pidfile, '--name', sb.name, '--oknodo']);
    expect(ok.code).toBe(0);
  });

  it('never signals an unrelated process named by an unlocked pidfile', async () => {
    sb = sandbox();
    const victim = spawn('sh', ['-c', 'sleep 300; exit 0', sb.tag], { stdio: 'ignore' });
    fs.writeFileSync(sb.pidfile, `${victim.pid}\n`);
    const r = await td(['stop', '--pidfile', sb.pidfile, '--name', sb.name]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`not signalled`);
    await new Promise((res) => setTimeout(res, 200));
    expect(alive(victim.pid!)).toBe(true);
    expect(victim.exitCode).toBe(null);
    expect(fs.existsSync(sb.pidfile)).toBe(false); // the stale file is cleaned up
  });

  it('never signals a pid that does not hold the locked pidfile', async () => {
    sb = sandbox();
    const victim = spawn('sh', ['-c', 'sleep 300; exit 0', sb.tag], { stdio: 'ignore' });
    fs.writeFileSync(sb.pidfile, `${victim.pid}\n`);
    // Somebody else holds the lock (flock(1) keeps it while its child sleeps).
    // Not flock -n: flockFree's own brief lock may come first; the holder waits for it.
    const holder = spawn('flock', [sb.pidfile, 'sh', '-c', 'sleep 300; exit 0', sb.tag], { stdio: 'ignore' });
    await waitFor(() => !flockFree(sb.pidfile), 5_000, 'flock(1) to take the lock');
    const r = await td(['stop', '--pidfile', sb.pidfile, '--name', sb.name]);
    expect(r.code).toBe(1);
    // It names the true holders (flock(1) and its child share the lock), and status says the same.
    expect(r.stderr).toContain(`pid ${victim.pid} named in ${sb.pidfile} does not hold its lock (it is held by pid ${holder.pid}, `);
    expect(alive(victim.pid!)).toBe(true);
    const st = await td(['status', '--pidfile', sb.pidfile, '--name', sb.name, '--json']);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ state: 'running', pid: null, namedPid: victim.pid });
  });
});

describe('signals', () => {
  it('SIGHUP does not kill the daemon', async () => {
    sb = sandbox();
    const pid = await startProbe(sb);
    process.kill(pid, 'SIGHUP');
    await waitFor(() => sb.readLog().includes('reloaded generation 1'), 5_000, 'the reload');
    expect(alive(pid)).toBe(true);
    expect((await td(['status', '--pidfile', sb.pidfile])).code).toBe(0);
  });

  for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) {
    it(`${sig} shuts down gracefully with exit 0 and removes the pidfile`, async () => {
      sb = sandbox();
      const pid = await startProbe(sb);
      process.kill(pid, sig);
      await waitFor(() => !alive(pid), 10_000, 'the daemon to exit');
      expect(sb.readLog()).toContain(`stopping ${sig}`);
      expect(sb.readLog()).toContain('probe-shutdown shutdown hook ran');
      expect(sb.readLog()).toContain('stopped exit 0');
      expect(fs.existsSync(sb.pidfile)).toBe(false);
      expect(pidsWith(sb.tag)).toEqual([]);
    });
  }

  it('a second SIGTERM during a slow shutdown exits at once with 128+15', async () => {
    sb = sandbox();
    const pid = await startProbe(sb, '--shutdown-delay=30000');
    process.kill(pid, 'SIGTERM');
    await waitFor(() => sb.readLog().includes('stopping SIGTERM'), 5_000, 'shutdown to begin');
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !alive(pid), 5_000, 'the forced exit');
    expect(sb.readLog()).toContain('forced-exit SIGTERM during shutdown');
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });
});

// The lifecycle runtime against a real daemon: reload (applied, rejected,
// coalesced, during shutdown), drain and deadline, TERM during init, log
// reopening under load, state across restarts, resource limits, JSON logs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRoot, nobodyReadable, td } from '../helpers/cli';
import { alive, waitFor } from '../helpers/proc';
import { APP, startApp, writeConfig } from '../helpers/app';
import { sandbox, type Sandbox } from '../helpers/sandbox';

let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});


async function get(port: number, p = '/'): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`);
  return res.text();
}

const logCount = (s: Sandbox, needle: string): number => s.readLog().split(needle).length - 1;

describe('reload', () => {
  it('SIGHUP applies a new config: loadConfig, then reload(ctx, next), then ctx.config', async () => {
    sb = sandbox();
    const { pid, port } = await startApp(sb, { version: 1 });
    expect(JSON.parse(await get(port))).toMatchObject({ version: 1, generation: 0 });
    writeConfig(sb, { version: 2 });
    process.kill(pid, 'SIGHUP');
    await waitFor(() => sb.readLog().includes('reloaded generation 1'), 5_000, 'the reload');
    expect(sb.readLog()).toContain('app-reload version 1 -> 2');
    expect(JSON.parse(await get(port))).toMatchObject({ version: 2, generation: 1 });
  });

  it('a rejected config keeps the old one serving', async () => {
    sb = sandbox();
    const { pid, port } = await startApp(sb, { version: 1 });
    writeConfig(sb, { version: 2, valid: false });
    process.kill(pid, 'SIGHUP');
    await waitFor(() => sb.readLog().includes('reload-failed generation 1'), 5_000, 'the rejected reload');
    expect(sb.readLog()).toContain('config rejected: version 2 is marked invalid');
    expect(sb.readLog()).not.toContain('app-reload'); // the program never saw the bad config
    expect(JSON.parse(await get(port))).toMatchObject({ version: 1, generation: 1 });
    expect(alive(pid)).toBe(true);
  });

  it('a throwing reload hook keeps the old config', async () => {
    sb = sandbox();
    const { pid, port } = await startApp(sb, { version: 1 });
    writeConfig(sb, { version: 2, failReload: true });
    process.kill(pid, 'SIGHUP');
    await waitFor(() => sb.readLog().includes('reload-failed generation 1'), 5_000, 'the failed reload');
    expect(sb.readLog()).toContain('reload hook refused version 2');
    expect(JSON.parse(await get(port))).toMatchObject({ version: 1 });
    // The next good config goes through.
    writeConfig(sb, { version: 3 });
    process.kill(pid, 'SIGHUP');
    await waitFor(() => sb.readLog().includes('reloaded generation 2'), 5_000, 'the second reload');
    expect(JSON.parse(await get(port))).toMatchObject({ version: 3, generation: 2 });
  });

  it('a burst of 1,000 SIGHUPs: alive, reloads coalesced, none concurrent, the last request honoured', async () => {
    sb = sandbox();
    const { pid, port } = await startApp(sb, { version: 1, reloadDelayMs: 20 });
    writeConfig(sb, { version: 2, reloadDelayMs: 20 });
    for (let i = 0; i < 1000; i++) process.kill(pid, 'SIGHUP');
    // After the burst, the final config must be in effect.
    await waitFor(() => JSON.parse(fs.readFileSync(path.join(sb.dir, 'config.json'), 'utf8')).version === 2, 1000);
    await new Promise((r) => setTimeout(r, 500));
    await waitFor(() => !/reloading generation \d+ \(coalesced requests\)\n(?![\s\S]*reloaded)/.test(sb.readLog()), 10_000, 'reloads to settle');
    expect(alive(pid)).toBe(true);
    const started = logCount(sb, ' reloading generation ');
    const finished = logCount(sb, ' reloaded generation ');
    expect(started).toBeGreaterThanOrEqual(1);
    expect(started).toBeLessThan(1000);
    expect(finished).toBe(started);
    // Never concurrent: each "reloading" is followed by its "reloaded" before the next starts.
    const events = sb.readLog().match(/ (reloading|reloaded) generation (\d+)/g)!;
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]).toMatch(/reloading/);
      expect(events[i + 1]).toMatch(/reloaded/);
      expect(events[i]!.split(' ').at(-1)).toBe(events[i + 1]!.split(' ').at(-1));
    }
    expect(JSON.parse(await get(port))).toMatchObject({ version: 2 });
  });

  it('SIGTERM while reloading waits for the reload, then shuts down cleanly', async () => {
    sb = sandbox();
    const { pid } = await startApp(sb, { version: 1 });
    writeConfig(sb, { version: 2, reloadDelayMs: 800 });
    process.kill(pid, 'SIGHUP');
    await waitFor(() => sb.readLog().includes('reloading generation 1'), 5_000, 'the reload to begin');
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !alive(pid), 10_000, 'the exit');
    const log = sb.readLog();
    expect(log).toContain('stop-waits SIGTERM: waiting for the reload in progress');
    expect(log.indexOf('reloaded generation 1')).toBeLessThan(log.indexOf('stopping SIGTERM'));
    expect(log).toContain('stopped exit 0');
  });

  it('a reload requested while stopping is ignored', async () => {
    sb = sandbox();
    const { pid, port } = await startApp(sb, { version: 1 });
    // Tracked work keeps the shutdown busy long enough to send HUP during it.
    const work = get(port, '/work?ms=800');
    await new Promise((r) => setTimeout(r, 100));
    process.kill(pid, 'SIGTERM');
    await waitFor(() => sb.readLog().includes('stopping SIGTERM'), 5_000, 'shutdown to begin');
    process.kill(pid, 'SIGHUP');
    expect(await work).toBe('worked 800\n');
    await waitFor(() => !alive(pid), 10_000, 'the exit');
    expect(sb.readLog()).toContain('reload-ignored SIGHUP: shutting down');
    expect(sb.readLog()).not.toContain('reloading generation');
  });

  it('--watch-config reloads when the file changes, without a signal', async () => {
    sb = sandbox();
    const { port } = await startApp(sb, { version: 1 }, '--watch-config', path.join(sb.dir, 'config.json'));
    expect(sb.readLog()).toContain('watching');
    writeConfig(sb, { version: 7 });
    await waitFor(() => sb.readLog().includes('reloaded generation 1'), 5_000, 'the watched reload');
    expect(sb.readLog()).toContain('(config change)');
    expect(JSON.parse(await get(port))).toMatchObject({ version: 7 });
  });
});

describe('config watching without inotify on the path', () => {
  it('falls back to polling when the directory cannot be watched yet', async () => {
    sb = sandbox();
    const later = path.join(sb.dir, 'not-yet', 'app.json');
    const { port } = await startApp(sb, { version: 1 }, '--watch-config', later);
    expect(sb.readLog()).toMatch(/watch-fallback .*polling every second instead/);
    fs.mkdirSync(path.dirname(later));
    fs.writeFileSync(later, '{}');
    writeConfig(sb, { version: 5 });
    await waitFor(() => sb.readLog().includes('reloaded generation 1'), 5_000, 'the polled reload');
    expect(JSON.parse(await get(port))).toMatchObject({ version: 5 });
  });
});

describe('shutdown', () => {
  it('drains tracked work before the shutdown hook, then exits 0', async () => {
    sb = sandbox();
    const { pid, port } = await startApp(sb, { version: 1 });
    const work = get(port, '/work?ms=700');
    await new Promise((r) => setTimeout(r, 100));
    const stop = td(['stop', '--pidfile', sb.pidfile]);
    expect(await work).toBe('worked 700\n'); // the request in flight was finished
    expect((await stop).code).toBe(0);
    expect(alive(pid)).toBe(false);
    const log = sb.readLog();
    expect(log.indexOf('stopping SIGTERM')).toBeLessThan(log.indexOf('app-shutdown closed'));
    expect(log).toContain('stopped exit 0');
  });

  it('past the grace deadline: logs what was in flight and exits 1', async () => {
    sb = sandbox();
    const { pid, port } = await startApp(sb, { version: 1 }, '--grace', '0.5');
    get(port, '/work?ms=30000').catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !alive(pid), 10_000, 'the exit');
    expect(sb.readLog()).toContain('deadline-passed 1 tracked task(s) still in flight after 500 ms');
    expect(sb.readLog()).toContain('stopped exit 1');
  });

  it('SIGTERM during init: start fails with that reason, nothing left', async () => {
    sb = sandbox();
    const file = writeConfig(sb, { version: 1 });
    const starting = td(['start', APP, ...sb.flags, '--', sb.tag, `--config=${file}`, '--init-delay=1000']);
    // Its runtime logs 'starting' once its signal handlers are in place: from then on SIGTERM is its to handle.
    await waitFor(() => sb.readPid() !== null && / starting /.test(sb.readLog()), 10_000, 'the daemon runtime to start');
    const pid = sb.readPid()!;
    process.kill(pid, 'SIGTERM');
    const r = await starting;
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('taskdaemon: stopped by SIGTERM before it was ready');
    await waitFor(() => !alive(pid), 5_000, 'the exit');
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });
});

describe('logs', () => {
  it('SIGUSR2 after `mv log log.1` under load: every line is in log.1 or log, once', async () => {
    sb = sandbox();
    const { pid } = await startApp(sb, { version: 1 }, '--', '--spam');
    await new Promise((r) => setTimeout(r, 300));
    fs.renameSync(sb.log, sb.log + '.1'); // logrotate without copytruncate
    await new Promise((r) => setTimeout(r, 100)); // lines keep going to log.1 meanwhile
    process.kill(pid, 'SIGUSR2');
    await waitFor(() => fs.existsSync(sb.log) && sb.readLog().includes('log-reopened'), 5_000, 'the reopen');
    await new Promise((r) => setTimeout(r, 300));
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    const old = fs.readFileSync(sb.log + '.1', 'utf8');
    const now = sb.readLog();
    const numbers = (text: string): number[] => [...text.matchAll(/^line (\d+)$/gm)].map((m) => Number(m[1]));
    const a = numbers(old);
    const b = numbers(now);
    expect(a.length).toBeGreaterThan(100);
    expect(b.length).toBeGreaterThan(100);
    const all = [...a, ...b];
    // Every number from 0 to the last, exactly once, and the old file holds a prefix.
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i));
    expect(Math.max(...a)).toBeLessThan(Math.min(...b));
  });

  it.skipIf(!isRoot)('SIGUSR2 that cannot reopen keeps the old file and warns', async () => {
    sb = sandbox();
    const pkg = nobodyReadable();
    const file = writeConfig(sb, { version: 1 });
    fs.chmodSync(file, 0o644);
    const r = await td(['start', path.join(pkg.fixtures, 'lifecycle.js'), ...sb.flags, '--no-state-file', '--user', 'nobody', '--', sb.tag, `--config=${file}`], { bin: pkg.bin, node: pkg.node });
    expect(r.code).toBe(0);
    const pid = sb.readPid()!;
    fs.renameSync(sb.log, sb.log + '.1');
    process.kill(pid, 'SIGUSR2'); // nobody cannot create a file in the root-owned sandbox
    await waitFor(() => fs.readFileSync(sb.log + '.1', 'utf8').includes('log-reopen-failed'), 5_000, 'the warning');
    expect(fs.readFileSync(sb.log + '.1', 'utf8')).toMatch(/warn \d+ log-reopen-failed .*EACCES.*still writing to the old file/);
    expect(fs.existsSync(sb.log)).toBe(false);
    process.kill(pid, 'SIGUSR1');
    await waitFor(() => fs.readFileSync(sb.log + '.1', 'utf8').includes(' status {'), 5_000, 'a later line in the old file');
  });

  it('--log-format json writes one JSON object per lifecycle line', async () => {
    sb = sandbox();
    await startApp(sb, { version: 1 }, '--log-format', 'json');
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    const lines = sb.readLog().trim().split('\n').map((l) => JSON.parse(l) as { event: string; level: string; pid: number });
    expect(lines.map((l) => l.event)).toEqual(expect.arrayContaining(['starting', 'listening', 'ready', 'stopping', 'app-shutdown', 'stopped']));
    expect(lines.every((l) => typeof l.pid === 'number' && typeof l.level === 'string')).toBe(true);
  });

  it('SIGUSR1 writes a status report to the log', async () => {
    sb = sandbox();
    const { pid } = await startApp(sb, { version: 1, unhealthy: true });
    process.kill(pid, 'SIGHUP');
    await waitFor(() => sb.readLog().includes('reloaded generation 1'), 5_000, 'a reload');
    process.kill(pid, 'SIGUSR1');
    await waitFor(() => sb.readLog().includes(' status {'), 5_000, 'the status line');
    const report = JSON.parse(/ status (\{.*\})$/m.exec(sb.readLog())![1]!);
    expect(report).toMatchObject({ pid, phase: 'ready', generation: 1, reloadCount: 1, inFlight: 0, lastReload: { generation: 1, ok: true, error: null } });
    expect(report.health).toEqual({ ok: false, detail: { version: 1 } });
    expect(report.uptimeMs).toBeGreaterThan(0);
    expect(report.memory.rssBytes).toBeGreaterThan(1e6);
    expect(typeof report.eventLoop.utilization).toBe('number');
    expect(report.eventLoop.delayMs).toBeGreaterThanOrEqual(0);
  });
});

describe('state and limits', () => {
  it('ctx.state survives stop and start', async () => {
    sb = sandbox();
    let { port } = await startApp(sb, { version: 1 });
    expect(JSON.parse(await get(port)).starts).toBe(1);
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    ({ port } = await startApp(sb, { version: 1 }));
    expect(JSON.parse(await get(port)).starts).toBe(2);
    expect(JSON.parse(fs.readFileSync(sb.stateFile, 'utf8'))).toEqual({ starts: 2 });
  });

  it('a corrupt state file is reported and moved aside, not dropped', async () => {
    sb = sandbox();
    fs.writeFileSync(sb.stateFile, '{"starts": 4, oops');
    const { port } = await startApp(sb, { version: 1 });
    expect(sb.readLog()).toMatch(/error \d+ state-corrupt .*moved to .*state\.json\.corrupt-/);
    const aside = fs.readdirSync(sb.dir).filter((f) => f.startsWith('state.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(sb.dir, aside[0]!), 'utf8')).toBe('{"starts": 4, oops');
    expect(JSON.parse(await get(port)).starts).toBe(1);
  });

  it.skipIf(!isRoot)('the default state directory belongs to the daemon user', async () => {
    sb = sandbox();
    const pkg = nobodyReadable();
    const file = writeConfig(sb, { version: 1 });
    const flags = sb.flags.slice(0, -2); // no --state-file: the default place
    const stateDir = path.join('/var/lib/taskdaemon', sb.name);
    try {
      const r = await td(['start', path.join(pkg.fixtures, 'lifecycle.js'), ...flags, '--user', 'nobody', '--', sb.tag, `--config=${file}`], { bin: pkg.bin, node: pkg.node });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const st = fs.statSync(stateDir);
      expect([st.uid, st.gid, st.mode & 0o777]).toEqual([65534, 65534, 0o700]);
      expect(JSON.parse(fs.readFileSync(path.join(stateDir, 'state.json'), 'utf8'))).toEqual({ starts: 1 });
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('rlimits and nice are in place before the program runs', async () => {
    sb = sandbox();
    const { pid } = await startApp(sb, { version: 1 }, '--nofile', '4096', '--prevent-core', '--nice', '5');
    const limits = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
    expect(limits).toMatch(/^Max open files\s+4096\s+4096\s+files/m);
    expect(limits).toMatch(/^Max core file size\s+0\s+0\s+bytes/m);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])).toBe(5); // field 19: nice
  });

  it('rejects bad limits with exit 2', async () => {
    sb = sandbox();
    for (const flags of [['--nofile', '0'], ['--core', 'lots'], ['--nice', '42'], ['--grace', 'never'], ['--log-format', 'xml']]) {
      const r = await td(['start', APP, ...sb.flags, ...flags, '--', sb.tag]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr, flags.join(' ')).toMatch(/^taskdaemon: /);
    }
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });
});

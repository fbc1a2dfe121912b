// Supervised mode (DESIGN.md §8, README "Supervision"), with real daemons:
// the supervisor holds the pidfile and the sockets, runs the program as
// instances, restarts one that dies, gives up past --restart-limit, reloads
// and stops them all, and replaces them one at a time for restart --graceful.
// The zero-downtime loop under load is test/stress/zero-downtime.test.ts.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, isRoot, nobodyReadable, td } from '../helpers/cli';
import { httpGet, pidAt } from '../helpers/http';
import { freePort } from '../helpers/net';
import { alive, childrenOf, pidsWith, procFds, procStatus, waitFor } from '../helpers/proc';
import { burstWhileStopped, call, codesOf, GARBAGE, GARBAGE_CODES, raw, vanishMidRequest } from '../helpers/control';
import { procCmdline } from '../../src/proc-usage';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const SERVED = path.join(FIXTURES, 'served.js');
const PROGRAM = path.join(FIXTURES, 'program.py');
let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});


interface StatusJson {
  state: string;
  pid: number;
  gaveUp?: string;
  daemon: {
    mode: string;
    phase: string;
    supervisor: {
      instances: { slot: number; pid: number | null; state: string; uptimeMs: number | null; restarts: number; lastEnd: { pid: number; code: number | null; signal: number | null; how: string } | null }[];
      gaveUp: { reason: string; restarts: number } | null;
      memory: { rssBytes: number; privateBytes: number };
    };
  };
}

async function statusJson(): Promise<{ code: number | null; s: StatusJson }> {
  const r = await td(['status', '--pidfile', sb.pidfile, '--json']);
  return { code: r.code, s: JSON.parse(r.stdout) as StatusJson };
}

async function start(...args: string[]): Promise<number> {
  const r = await td(['start', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return sb.readPid()!;
}

async function stopAndCheckNothingLeft(): Promise<void> {
  const r = await td(['stop', '--pidfile', sb.pidfile]);
  expect(r.code).toBe(0);
  expect(fs.existsSync(sb.pidfile)).toBe(false);
  expect(pidsWith(sb.tag)).toEqual([]);
}

// Log lines of the supervisor: "time level pid event detail".
function lines(pid: number, event: string): { at: number; detail: string }[] {
  const re = new RegExp(`^(\\S+) \\w+ ${pid} ${event} (.*)$`, 'gm');
  return [...sb.readLog().matchAll(re)].map((m) => ({ at: Date.parse(m[1]!), detail: m[2]! }));
}

describe('supervised start', () => {
  it('kill -9 of an instance: a new one serves, the supervisor and its pidfile stay, no zombie is left', async () => {
    sb = sandbox();
    const port = await freePort();
    const sup = await start(SERVED, ...sb.flags, '--restart', 'on-failure', '--listen', `web=tcp:127.0.0.1:${port}`, '--', sb.tag);
    const first = await pidAt(port);
    expect(first).not.toBe(sup);
    expect(childrenOf(sup).map((c) => c.pid)).toEqual([first]);
    // The supervisor never loads the program: only the instance did.
    expect(sb.readLog()).toContain(`served.js loaded by pid ${first}`);
    expect(sb.readLog()).not.toContain(`served.js loaded by pid ${sup}`);
    expect(sb.readLog()).toContain(`serving fd 3 (web), 1 socket(s)`);

    process.kill(first, 'SIGKILL');
    let next = first;
    await waitFor(() => lines(sup, 'instance-ready').length === 1, 10_000, 'the restarted instance to be ready');
    next = await pidAt(port);
    expect(next).not.toBe(first);
    expect(sb.readPid()).toBe(sup);
    expect(alive(sup)).toBe(true);
    // Reaped before it was restarted: neither the killed one nor anything else is a zombie of the supervisor.
    expect(childrenOf(sup)).toEqual([{ pid: next, state: expect.not.stringMatching(/^Z$/) as unknown as string }]);
    expect(alive(first)).toBe(false);

    const { code, s } = await statusJson();
    expect(code).toBe(0);
    expect(s.state).toBe('running');
    expect(s.pid).toBe(sup);
    expect(s.daemon.mode).toBe('supervisor');
    expect(s.daemon.supervisor.instances).toEqual([
      expect.objectContaining({ slot: 1, pid: next, state: 'ready', restarts: 1, lastEnd: expect.objectContaining({ pid: first, code: null, signal: 9, how: 'was killed by SIGKILL' }) }),
    ]);
    const text = await td(['status', '--pidfile', sb.pidfile]);
    expect(text.stdout).toContain(`instance 1: pid ${next} ready`);
    expect(text.stdout).toContain(`last end: pid ${first} was killed by SIGKILL`);
    // taskdaemon list: the restart counted, memory of the supervisor and its instance together.
    const listed = JSON.parse((await td(['list', '--dir', sb.dir, '--json'])).stdout) as { state: string; pid: number; restarts: number; rssBytes: number }[];
    expect(listed).toEqual([expect.objectContaining({ state: 'running', pid: sup, restarts: 1 })]);
    const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
    expect(listed[0]!.rssBytes).toBeGreaterThan(rssOf(sup) + rssOf(next) / 2);
    await stopAndCheckNothingLeft();
  });

  it('an app that exits 1 at once: restarted with growing delays, then given up per --restart-limit; status says so', async () => {
    sb = sandbox();
    // 4 within a minute: reached in a few seconds whatever the load, and each delay is read from the log.
    const sup = await start(SERVED, ...sb.flags, '--restart', 'on-failure', '--restart-limit', '4/1m', '--', sb.tag, '--crash-after=0');
    await waitFor(() => lines(sup, 'gave-up').length === 1, 30_000, 'the supervisor to give up');
    const ended = lines(sup, 'instance-exited');
    const started = lines(sup, 'instance-started').slice(1); // the restarts
    expect(ended).toHaveLength(5);
    expect(started).toHaveLength(4);
    expect(lines(sup, 'restart-scheduled').map((l) => l.detail.split(' ').slice(0, 4).join(' '))).toEqual([
      'instance 1 in 100ms',
      'instance 1 in 200ms',
      'instance 1 in 400ms',
      'instance 1 in 800ms',
    ]);
    // A timer never fires early: each restart came at least its delay after the end before it.
    const waited = started.map((s, i) => s.at - ended[i]!.at);
    [100, 200, 400, 800].forEach((d, i) => expect(waited[i]).toBeGreaterThanOrEqual(d));
    expect(lines(sup, 'gave-up')[0]!.detail).toMatch(/^instance 1 \(pid \d+\) exited with code 1, after 4 restarts within 1m \(--restart-limit 4\/1m\); stopping the other instances/);

    const { code, s } = await statusJson();
    expect(code).toBe(1); // LSB: dead, but the pidfile exists
    expect(s.state).toBe('dead');
    expect(s.pid).toBe(sup);
    expect(s.gaveUp).toMatch(/instance 1 \(pid \d+\) exited with code 1, after 4 restarts/);
    expect(s.daemon.phase).toBe('failed');
    expect(s.daemon.supervisor.gaveUp?.restarts).toBe(4);
    const text = await td(['status', '--pidfile', sb.pidfile]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(new RegExp(`is dead: its supervisor \\(pid ${sup}\\) gave up: instance 1`));
    // taskdaemon list: failed (not just dead), with the restarts it made.
    const listed = JSON.parse((await td(['list', '--dir', sb.dir, '--json'])).stdout) as { state: string; pid: number; restarts: number }[];
    expect(listed).toEqual([expect.objectContaining({ state: 'failed', pid: sup, restarts: 4 })]);
    // Not "already running": a start that waits for readiness says it gave up.
    const again = await td(['start', SERVED, ...sb.flags, '--restart', 'on-failure', '--oknodo', '--', sb.tag]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('gave up');
    expect(childrenOf(sup)).toEqual([]);
    await stopAndCheckNothingLeft();
  });

  it('--instances 4: four pids answer; one killed leaves three serving while it is replaced; reload and stop reach them all', async () => {
    sb = sandbox();
    const port = await freePort();
    const refuse = path.join(sb.dir, 'refuse');
    const sup = await start(SERVED, ...sb.flags, '--restart', 'always', '--instances', '4', '--listen', `tcp:127.0.0.1:${port}`, '--', sb.tag, `--refuse-reload-if=${refuse}`);
    const instances = (await statusJson()).s.daemon.supervisor.instances.map((i) => i.pid!);
    expect(new Set(instances).size).toBe(4);
    expect(childrenOf(sup).map((c) => c.pid).sort()).toEqual([...instances].sort());
    // The kernel spreads the connections over the processes waiting on the one socket.
    const seen = new Set<number>();
    for (let i = 0; i < 2_000 && seen.size < 4; i++) seen.add(await pidAt(port));
    expect([...seen].sort()).toEqual([...instances].sort());

    const [victim, ...rest] = instances;
    process.kill(victim!, 'SIGKILL');
    await waitFor(() => !alive(victim!), 5_000, 'the killed instance to end');
    // Meanwhile the other three answer every connection.
    for (let i = 0; i < 30; i++) expect(rest).toContain(await pidAt(port));
    await waitFor(() => lines(sup, 'instance-ready').length === 1, 10_000, 'the replacement to be ready');
    const now = (await statusJson()).s.daemon.supervisor.instances;
    expect(now.filter((i) => i.state === 'ready')).toHaveLength(4);
    expect(now.map((i) => i.pid)).not.toContain(victim);

    // Applied only if all applied: exit 1 with each rejection, then 0.
    fs.writeFileSync(refuse, '');
    const rejected = await td(['reload', '--pidfile', sb.pidfile]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('4 of 4 instances rejected it');
    for (const i of now) expect(rejected.stderr).toContain(`pid ${i.pid} refuses`);
    fs.rmSync(refuse);
    const applied = await td(['reload', '--pidfile', sb.pidfile]);
    expect(applied.stdout).toBe(`reloaded ${sb.name} (generation 2)\n`);
    expect(applied.code).toBe(0);

    await stopAndCheckNothingLeft();
    for (const i of now) expect(sb.readLog()).toMatch(new RegExp(`info ${i.pid} stopped exit 0`));
    expect(sb.readLog()).toMatch(new RegExp(`info ${sup} stopped exit 0`));
  });

  it('restart --graceful replaces every instance; a new one that cannot start leaves the old ones serving, exit 1 with its error', async () => {
    sb = sandbox();
    const port = await freePort();
    const entry = path.join(sb.dir, 'app.js');
    fs.writeFileSync(entry, `module.exports = require(${JSON.stringify(SERVED)});\n`);
    const sup = await start(entry, ...sb.flags, '--instances', '2', '--listen', `tcp:127.0.0.1:${port}`, '--', sb.tag);
    const before = (await statusJson()).s.daemon.supervisor.instances.map((i) => i.pid!);

    const r = await td(['restart', sb.name, '--pidfile', sb.pidfile, '--graceful']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^restarted ${sb.name} gracefully \\(supervisor pid ${sup}\\): instance 1 pid ${before[0]} -> \\d+, instance 2 pid ${before[1]} -> \\d+\\n$`));
    const after = (await statusJson()).s.daemon.supervisor.instances.map((i) => i.pid!);
    for (const p of before) expect(after).not.toContain(p);
    for (const p of before) expect(alive(p)).toBe(false);
    expect(sb.readPid()).toBe(sup);
    expect(after).toContain(await pidAt(port));

    // A deploy that does not start: the new instance's error, the old ones untouched.
    fs.writeFileSync(entry, `throw new Error('broken deploy');\n`);
    const bad = await td(['restart', sb.name, '--pidfile', sb.pidfile, '--graceful', '--json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('broken deploy');
    expect(bad.stderr).toContain('the old instances keep serving');
    const still = (await statusJson()).s.daemon.supervisor.instances;
    expect(still.map((i) => i.pid)).toEqual(after);
    expect(still.every((i) => i.state === 'ready')).toBe(true);
    expect(after).toContain(await pidAt(port));
    await stopAndCheckNothingLeft();
  });

  it('a start whose instance fails its init fails with its message, and leaves nothing (pidfile, unix socket, process)', async () => {
    sb = sandbox();
    const sock = path.join(sb.dir, 'app.sock');
    const r = await td(['start', SERVED, ...sb.flags, '--instances', '2', '--listen', `unix:${sock}`, '--', sb.tag, '--init-fail=no database']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^taskdaemon: instance \d: no database\n/);
    expect(fs.existsSync(sb.pidfile)).toBe(false);
    expect(fs.existsSync(sock)).toBe(false);
    await waitFor(() => pidsWith(sb.tag).length === 0, 10_000, 'every process of the failed start to end');
  });

  it('bad input: one line, the LSB code, nothing bound or left', async () => {
    sb = sandbox();
    const busy = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => busy.once('listening', r));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const inUse = await td(['start', SERVED, ...sb.flags, '--listen', `tcp:127.0.0.1:${port}`, '--', sb.tag]);
      expect(inUse.code).toBe(1);
      expect(inUse.stderr.split('\n')[0]).toBe(`taskdaemon: cannot listen on tcp:127.0.0.1:${port}: EADDRINUSE: address already in use, bind`);
      expect(fs.existsSync(sb.pidfile)).toBe(false);
    } finally {
      busy.close();
    }
    const badSpec = await td(['start', SERVED, ...sb.flags, '--listen', '8080']);
    expect(badSpec.code).toBe(2);
    expect(badSpec.stderr.split('\n')[0]).toBe("taskdaemon: invalid --listen '8080': expected tcp:HOST:PORT, tcp6:[ADDR]:PORT or unix:/PATH");
    const badPolicy = await td(['start', SERVED, ...sb.flags, '--restart', 'sometimes']);
    expect(badPolicy.code).toBe(2);
    const toml = path.join(sb.dir, 'app.toml');
    fs.writeFileSync(toml, `entry = "${SERVED}"\nrestart = "always"\n`);
    const run = await td(['run', '--config', toml, '--no-pidfile']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('taskdaemon: `taskdaemon run` does not supervise: --restart, --listen and --instances need `taskdaemon start`');
    expect(pidsWith(sb.tag)).toEqual([]);
  });

  it.skipIf(!isRoot)('--user nobody --listen on a privileged port: bound before the drop, served as nobody', async () => {
    sb = sandbox();
    const pkg = nobodyReadable();
    // Port 80 when free here, else another privileged one.
    let port = 80;
    for (let p = 80; p < 1024; p += 37) {
      const probe = net.createServer();
      const free = await new Promise<boolean>((resolve) => probe.once('error', () => resolve(false)).listen(p, '127.0.0.1', () => probe.close(() => resolve(true))));
      if (free) {
        port = p;
        break;
      }
    }
    const r = await td(['start', path.join(pkg.fixtures, 'served.js'), ...sb.flags, '--user', 'nobody', '--restart', 'on-failure', '--listen', `tcp:127.0.0.1:${port}`, '--', sb.tag], { bin: pkg.bin, node: pkg.node });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const pid = await pidAt(port);
    expect(procStatus(pid).Uid!.split('\t')[0]).toBe('65534');
    expect(procStatus(sb.readPid()!).Uid!.split('\t')[0]).toBe('65534');
    expect((await httpGet(port)).status).toBe(200);
    const stop = await td(['stop', '--pidfile', sb.pidfile], { bin: pkg.bin, node: pkg.node });
    expect(stop.code).toBe(0);
  });

  it('a program that is not Node is supervised too: notify readiness per instance, kill -9 restarted, reload and stop reach every instance', async () => {
    sb = sandbox();
    const sup = await start(PROGRAM, ...sb.flags, '--restart', 'on-failure', '--instances', '2', '--ready', 'notify', '--', '--notify-after=50', sb.tag);
    // Both instances sent READY=1 (each to its own $NOTIFY_SOCKET) before start said "started".
    const ready = (): number[] => [...sb.readLog().matchAll(/^program-start pid=(\d+)/gm)].map((m) => Number(m[1]));
    expect(sb.readLog().match(/^program-ready$/gm)).toHaveLength(2);
    const [a, b] = ready();
    expect(childrenOf(sup).map((c) => c.pid).sort()).toEqual([a, b].sort());
    expect(fs.readlinkSync(`/proc/${a}/exe`)).toMatch(/python3/); // exec'd itself: no node inside

    process.kill(a!, 'SIGKILL');
    await waitFor(() => lines(sup, 'instance-ready').length === 1, 10_000, 'the restarted program to send READY=1');
    const c = ready().find((p) => p !== a && p !== b)!;
    expect(c).toBeGreaterThan(0);
    expect(childrenOf(sup).map((x) => x.pid).sort()).toEqual([b, c].sort());
    expect(alive(a!)).toBe(false);

    // No runtime inside: a reload is a delivered SIGHUP, seen by both.
    const reload = await td(['reload', '--pidfile', sb.pidfile]);
    expect(reload.code).toBe(0);
    await waitFor(() => (sb.readLog().match(/^program-reloaded$/gm) ?? []).length === 2, 10_000, 'both programs to log their reload');
    await stopAndCheckNothingLeft();
    expect(alive(b!) || alive(c)).toBe(false);
  });

  it('a program that fails before READY=1 fails the supervised start with what it said, and leaves nothing', async () => {
    sb = sandbox();
    const r = await td(['start', PROGRAM, ...sb.flags, '--restart', 'on-failure', '--ready', 'notify', '--', '--fail', sb.tag]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/exited with code 3 before it was ready \(it sent no READY=1 to \$NOTIFY_SOCKET; its last STATUS: cannot open \/var\/lib\/db; ERRNO=2 \(ENOENT/);
    expect(fs.existsSync(sb.pidfile)).toBe(false);
    expect(pidsWith(sb.tag)).toEqual([]);
  });
});

// The supervisor is native code (native/supervisor/): no node in it, and the
// same answers as the runtime's own control socket and health port.
describe('the native supervisor', () => {
  it('is no node: its own executable and memory; the control socket answers garbage, 1 MB lines and vanishing clients as a daemon does', async () => {
    sb = sandbox();
    const sup = await start(SERVED, ...sb.flags, '--restart', 'on-failure', '--', sb.tag);
    expect(fs.readlinkSync(`/proc/${sup}/exe`)).toMatch(/\/taskdaemon-supervisor$/);
    const maps = fs.readFileSync(`/proc/${sup}/maps`, 'utf8');
    expect(maps).not.toContain(process.execPath); // no node binary mapped, so no V8 heap
    expect(procCmdline(sup)).toEqual([expect.stringMatching(/taskdaemon-supervisor$/), SERVED, sb.tag]);
    const { s } = await statusJson();
    const mem = s.daemon.supervisor.memory;
    expect(mem.rssBytes).toBeGreaterThan(0);
    expect(mem.privateBytes).toBeGreaterThan(0);
    expect(mem.privateBytes).toBeLessThan(mem.rssBytes);

    const sock = sb.pidfile.replace(/\.pid$/, '.sock');
    expect(fs.lstatSync(sock).mode & 0o777).toBe(0o600);
    expect(codesOf((await raw(sock, GARBAGE, 9)).lines)).toEqual(GARBAGE_CODES);
    // 20,000 requests in one write: answered in order (a queue the supervisor works through, not a recursion).
    const many = await raw(sock, Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: i, method: 'ping' })).join('\n') + '\n', 20_000);
    expect(many.lines).toHaveLength(20_000);
    expect(many.lines.every((l, i) => (l as { id: number; result: string }).id === i && (l as { result: string }).result === 'pong')).toBe(true);
    const long = await raw(sock, Buffer.alloc(1 << 20, 'x'));
    expect(long.lines[0]).toMatchObject({ error: { code: -32600, message: expect.stringContaining('longer than 65536') } });
    // 200 clients that arrive while it cannot accept all wait in the listen queue (src/control/control-socket.ts).
    expect(await burstWhileStopped(sock, sup, 200)).toEqual(Array.from({ length: 200 }, (_, i) => ({ jsonrpc: '2.0', id: i, result: 'pong' })));
    const before = procFds(sup).size;
    // Half a request, or a reload whose answer nobody will read (answered after the instance's).
    await vanishMidRequest(sock, 40);
    await waitFor(() => lines(sup, 'reloaded').length >= 1 && !sb.readLog().match(/reloading generation \d+[^\n]*\n(?![\s\S]*reloaded generation)/), 10_000, 'reloads to finish');
    // A half-closed client still gets its answer.
    const half = await new Promise<string>((resolve, reject) => {
      const c = net.createConnection(sock, () => c.end('{"jsonrpc":"2.0","id":9,"method":"state"}\n'));
      let got = '';
      c.on('data', (d) => (got += d.toString()));
      c.on('end', () => resolve(got));
      c.on('error', reject);
    });
    expect(JSON.parse(half)).toMatchObject({ id: 9, result: { phase: 'ready', supervisor: true, pid: sup } });
    expect(await call(sock, 'startOptions')).toMatchObject({ result: { name: sb.name, entry: SERVED, supervise: { restart: 'on-failure' } } });
    await waitFor(() => procFds(sup).size <= before, 5_000, 'client fds to close');
    await stopAndCheckNothingLeft();
  });

  it('--health-port: /ready and /health of every instance; --watch-config: a change reloads them all', async () => {
    sb = sandbox();
    const port = await freePort();
    const hp = await freePort();
    const config = path.join(sb.dir, 'app.toml');
    fs.writeFileSync(config, 'a = 1\n');
    const sup = await start(SERVED, ...sb.flags, '--restart', 'on-failure', '--instances', '2', '--listen', `tcp:127.0.0.1:${port}`, '--health-port', String(hp), '--watch-config', config, '--', sb.tag);
    expect(lines(sup, 'health-http')[0]!.detail).toBe(`http://127.0.0.1:${hp}/health`);
    const ready = await httpGet(hp, '/ready');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ ready: true, phase: 'ready' });
    const health = await httpGet(hp, '/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ ok: true, detail: { instances: 2, notReady: [] }, phase: 'ready' });
    expect((await httpGet(hp, '/nope')).status).toBe(404);
    await waitFor(() => lines(sup, 'watching').length === 1, 5_000, 'the watch');

    fs.writeFileSync(config, 'a = 2\n');
    await waitFor(() => lines(sup, 'reloaded').length === 1, 10_000, 'the reload the change asked for');
    expect(lines(sup, 'reloading')[0]!.detail).toBe('generation 1 (config change): SIGHUP to every instance');
    const { s } = await statusJson();
    expect(s.daemon).toMatchObject({ generation: 1, lastReload: { generation: 1, ok: true } });
    await stopAndCheckNothingLeft();
  });

  it('a busy --health-port fails the start with the reason, and leaves nothing', async () => {
    sb = sandbox();
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const hp = (busy.address() as net.AddressInfo).port;
      const r = await td(['start', SERVED, ...sb.flags, '--restart', 'always', '--health-port', String(hp), '--', sb.tag]);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')[0]).toContain(`health server: EADDRINUSE: address already in use, bind '127.0.0.1:${hp}'`);
      expect(fs.existsSync(sb.pidfile)).toBe(false);
      expect(pidsWith(sb.tag)).toEqual([]);
    } finally {
      busy.close();
    }
  });

  it('a program ready when its address accepts (--ready tcp): start waits for it, and a restarted one is ready the same way', async () => {
    sb = sandbox();
    const port = await freePort();
    const sup = await start(PROGRAM, ...sb.flags, '--restart', 'always', '--ready', `tcp:127.0.0.1:${port}`, '--', `--listen=tcp:127.0.0.1:${port}`, '--listen-after=300', sb.tag);
    // Ready only once it listened, 300 ms after its start.
    await new Promise<void>((resolve, reject) => net.createConnection(port, '127.0.0.1', resolve).on('error', reject));
    const [first] = childrenOf(sup).map((c) => c.pid);
    process.kill(first!, 'SIGKILL');
    await waitFor(() => lines(sup, 'instance-ready').length === 1, 10_000, 'the restarted program to accept');
    const [second] = childrenOf(sup).map((c) => c.pid);
    expect(second).not.toBe(first);
    expect(lines(sup, 'instance-ready')[0]!.detail).toBe(`instance 1 pid ${second}`);
    await stopAndCheckNothingLeft();
  });
});

describe('the native supervisor, cut short', () => {
  it('a second SIGTERM while a notify program starts: SIGKILL to it, and neither its socket directory nor the pidfile is left', async () => {
    sb = sandbox();
    // It ignores SIGTERM, so the stop is still waiting for it when the second one comes.
    const starting = td(['start', PROGRAM, ...sb.flags, '--restart', 'always', '--ready', 'notify', '--', '--notify-after=60000', '--ignore-term', sb.tag]);
    await waitFor(() => /^program-start pid=\d+ .*notify=(\S+)/m.test(sb.readLog()), 10_000, 'the program to start');
    const socket = /^program-start pid=(\d+) .*notify=(\S+)/m.exec(sb.readLog())!;
    const dir = path.dirname(socket[2]!);
    expect(fs.existsSync(dir)).toBe(true);
    const sup = sb.readPid()!;
    process.kill(sup, 'SIGTERM');
    await waitFor(() => lines(sup, 'stopping-instances').length === 1, 10_000, 'the stop to begin');
    process.kill(sup, 'SIGTERM');
    const r = await starting;
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('taskdaemon: stopped by SIGTERM before it was ready');
    await waitFor(() => !alive(sup) && !alive(Number(socket[1])), 10_000, 'the supervisor and its program to end');
    expect(lines(sup, 'forced-exit')).toHaveLength(1);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.existsSync(sb.pidfile)).toBe(false);
    expect(pidsWith(sb.tag)).toEqual([]);
  });
});

// The control plane against real daemons: the 0600 control socket and every
// JSON-RPC method, hostile clients (garbage, 1 MB lines, 200 at once,
// vanishing mid-request), reload/status/health/restart from the CLI, HTTP
// health states, and stop schedules.
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, td } from '../helpers/cli';
import { alive, procFds, waitFor } from '../helpers/proc';
import { freePort } from '../helpers/net';
import { APP, startApp, writeConfig } from '../helpers/app';
import { sandbox, type Sandbox } from '../helpers/sandbox';
import { burstWhileStopped, call, codesOf, GARBAGE, GARBAGE_CODES, raw, vanishMidRequest } from '../helpers/control';

const PROBE = path.join(FIXTURES, 'probe.js');
let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

const sockOf = (s: Sandbox): string => s.pidfile.replace(/\.pid$/, '.sock');


describe('control socket', () => {
  it('is a 0600 socket next to the pidfile, answers every method, and goes away at stop', async () => {
    sb = sandbox();
    const { pid } = await startApp(sb, { version: 1 });
    const sock = sockOf(sb);
    const st = fs.lstatSync(sock);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(process.geteuid!());

    expect(await call(sock, 'ping')).toMatchObject({ result: 'pong' });
    expect(await call(sock, 'version')).toMatchObject({ result: { version: expect.any(String), node: process.version, pid } });
    const status = (await call(sock, 'status')).result as { [k: string]: unknown };
    expect(status).toMatchObject({ name: sb.name, pid, phase: 'ready', generation: 0, reloadCount: 0, inFlight: 0, health: { ok: true } });
    expect(await call(sock, 'health')).toMatchObject({ result: { ok: true, phase: 'ready', detail: { version: 1 } } });
    writeConfig(sb, { version: 2 });
    expect(await call(sock, 'reload')).toMatchObject({ result: { generation: 1, ok: true, error: null } });
    expect(await call(sock, 'awaitReload', { after: 0 })).toMatchObject({ result: { generation: 1, ok: true } });
    expect(await call(sock, 'shutdown')).toMatchObject({ result: { stopping: true, pid } });
    await waitFor(() => !alive(pid), 10_000, 'the shutdown');
    expect(fs.existsSync(sock)).toBe(false);
    expect(fs.existsSync(sb.pidfile)).toBe(false);
    expect(sb.readLog()).toContain('stopping control socket');
  });

  it('answers garbage with JSON-RPC errors and keeps serving', async () => {
    sb = sandbox();
    const { pid } = await startApp(sb, { version: 1 });
    const sock = sockOf(sb);
    const r = await raw(sock, GARBAGE, 9);
    expect(codesOf(r.lines)).toEqual(GARBAGE_CODES);
    expect(r.lines[7]).toEqual([{ jsonrpc: '2.0', id: 5, result: 'pong' }]); // the notification got no answer
    expect(await call(sock, 'ping')).toMatchObject({ result: 'pong' });
    expect(alive(pid)).toBe(true);
  });

  it('drops a client that sends a 1 MB line, with an error, and stays well', async () => {
    sb = sandbox();
    const { pid } = await startApp(sb, { version: 1 });
    const r = await raw(sockOf(sb), Buffer.alloc(1 << 20, 'x'));
    expect(r.lines[0]).toMatchObject({ error: { code: -32600, message: expect.stringContaining('longer than 65536') } });
    expect(await call(sockOf(sb), 'ping')).toMatchObject({ result: 'pong' });
    const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    expect(rss).toBeLessThan(200 * 1024); // kB: the line was not kept
  });

  it('serves 200 concurrent clients, also 200 that arrive while it cannot accept', async () => {
    sb = sandbox();
    const { pid } = await startApp(sb, { version: 1 });
    const pongs = Array.from({ length: 200 }, (_, i) => ({ jsonrpc: '2.0', id: i, result: 'pong' }));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => raw(sockOf(sb), JSON.stringify({ jsonrpc: '2.0', id: i, method: 'ping' }) + '\n')));
    expect(results.map((r) => r.lines[0])).toEqual(pongs);
    // All 200 wait in the listen queue at once (src/control/control-socket.ts).
    expect(await burstWhileStopped(sockOf(sb), pid, 200)).toEqual(pongs);
    expect(alive(pid)).toBe(true);
  });

  it('survives clients that vanish mid-request, and leaks no fd', async () => {
    sb = sandbox();
    const { pid } = await startApp(sb, { version: 1, reloadDelayMs: 300 });
    await call(sockOf(sb), 'ping');
    const before = procFds(pid).size;
    await vanishMidRequest(sockOf(sb), 50);
    await waitFor(() => !sb.readLog().match(/reloading generation \d+(?![\s\S]*reloaded generation)/), 10_000, 'reloads to finish');
    expect(await call(sockOf(sb), 'ping')).toMatchObject({ result: 'pong' });
    await waitFor(() => procFds(pid).size <= before, 5_000, 'client fds to close');
    expect(alive(pid)).toBe(true);
  });
});

describe('CLI over the control plane', () => {
  it('reload: exit 0 applied, 1 rejected with the reason (old config kept), 7 not running', async () => {
    sb = sandbox();
    await startApp(sb, { version: 1 });
    writeConfig(sb, { version: 2 });
    const ok = await td(['reload', '--pidfile', sb.pidfile, '--name', sb.name]);
    expect(ok.stdout).toBe(`reloaded ${sb.name} (generation 1)\n`);
    expect(ok.code).toBe(0);
    writeConfig(sb, { version: 3, valid: false });
    const bad = await td(['reload', '--pidfile', sb.pidfile, '--name', sb.name]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`taskdaemon: reload of ${sb.name} rejected: config rejected: version 3 is marked invalid\n${sb.name} keeps running with its previous config\n`);
    const j = await td(['reload', '--pidfile', sb.pidfile, '--json']);
    expect(JSON.parse(j.stdout.split('\n')[0]!)).toMatchObject({ generation: 3, ok: false });
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    const gone = await td(['reload', '--pidfile', sb.pidfile, '--name', sb.name]);
    expect(gone.code).toBe(7);
    expect(gone.stderr).toBe(`taskdaemon: ${sb.name} is not running\n`);
  });

  it('a plain kill -HUP reloads too', async () => {
    sb = sandbox();
    const { pid } = await startApp(sb, { version: 1 });
    process.kill(pid, 'SIGHUP');
    await waitFor(() => sb.readLog().includes('reloaded generation 1'), 5_000, 'the reload');
  });

  it('status --json has the daemon report and both versions; health exits 0, 1, 3', async () => {
    sb = sandbox();
    const { pid } = await startApp(sb, { version: 1 });
    const s = JSON.parse((await td(['status', '--pidfile', sb.pidfile, '--name', sb.name, '--json'])).stdout);
    const version = JSON.parse(fs.readFileSync(path.join(FIXTURES, '..', '..', 'package.json'), 'utf8')).version;
    expect(s).toMatchObject({ name: sb.name, state: 'running', pid, cliVersion: version, daemon: { version, phase: 'ready', pid, generation: 0, inFlight: 0 } });
    expect(s.daemon.uptimeMs).toBeGreaterThanOrEqual(0);
    const text = await td(['status', '--pidfile', sb.pidfile, '--name', sb.name]);
    expect(text.stdout).toMatch(/is running \(pid \d+\)\n  phase ready, up \d+s, 0 in flight, health ok\n/);
    expect((await td(['health', '--pidfile', sb.pidfile])).code).toBe(0);
    writeConfig(sb, { version: 2, unhealthy: true });
    process.kill(pid, 'SIGHUP');
    await waitFor(() => sb.readLog().includes('reloaded generation 1'), 5_000, 'the reload');
    const sick = await td(['health', '--pidfile', sb.pidfile, '--json']);
    expect(sick.code).toBe(1);
    expect(JSON.parse(sick.stdout)).toMatchObject({ ok: false, detail: { version: 2 } });
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    expect((await td(['health', '--pidfile', sb.pidfile])).code).toBe(3);
  });

  // The control server accepts once the program first waits (src/runtime/lifecycle.ts): a long init is such a wait.
  it('status during a slow init: the control socket answers, phase starting', async () => {
    sb = sandbox();
    const file = writeConfig(sb, { version: 1 });
    const starting = td(['start', APP, ...sb.flags, '--', sb.tag, `--config=${file}`, '--init-delay=3000']);
    await waitFor(() => sb.readLog().includes(' starting '), 10_000, 'the runtime to start');
    const s = await td(['status', '--pidfile', sb.pidfile, '--name', sb.name, '--json']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout).daemon).toMatchObject({ phase: 'starting' });
    expect((await starting).code).toBe(0);
  });

  it('restart: a new daemon with a new pid', async () => {
    sb = sandbox();
    const file = writeConfig(sb, { version: 1 });
    const { pid } = await startApp(sb, { version: 1 });
    const r = await td(['restart', APP, ...sb.flags, '--', sb.tag, `--config=${file}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^stopped ${sb.name} \\(pid ${pid}\\)\\nstarted ${sb.name} \\(pid \\d+\\)\\n$`));
    expect(sb.readPid()).not.toBe(pid);
    expect(alive(pid)).toBe(false);
  });
});

describe('HTTP health', () => {
  it('/ready is 503 while starting and reloading, 200 when ready; /health follows the hook', async () => {
    sb = sandbox();
    const port = await freePort();
    const file = writeConfig(sb, { version: 1 });
    const starting = td(['start', APP, ...sb.flags, '--health-port', String(port), '--', sb.tag, `--config=${file}`, '--init-delay=1500']);
    const get = async (p: string): Promise<[number, { [k: string]: unknown }]> => {
      const res = await fetch(`http://127.0.0.1:${port}${p}`);
      return [res.status, (await res.json()) as { [k: string]: unknown }];
    };
    await waitFor(() => sb.readLog().includes('health-http'), 10_000, 'the health server');
    expect(await get('/ready')).toEqual([503, { ready: false, phase: 'starting' }]);
    expect((await starting).code).toBe(0);
    expect(await get('/ready')).toEqual([200, { ready: true, phase: 'ready' }]);
    expect(await get('/health')).toEqual([200, { ok: true, detail: { version: 1 }, phase: 'ready' }]);
    writeConfig(sb, { version: 2, reloadDelayMs: 1500, unhealthy: true });
    process.kill(sb.readPid()!, 'SIGHUP');
    await waitFor(() => sb.readLog().includes('reloading generation 1'), 5_000, 'the reload to begin');
    expect(await get('/ready')).toEqual([503, { ready: false, phase: 'reloading' }]);
    await waitFor(() => sb.readLog().includes('reloaded generation 1'), 5_000, 'the reload to end');
    expect(await get('/health')).toEqual([503, { ok: false, detail: { version: 2 }, phase: 'ready' }]);
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
  });

  it('a busy health port fails start with the reason', async () => {
    sb = sandbox();
    const srv = net.createServer().listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const file = writeConfig(sb, { version: 1 });
      const r = await td(['start', APP, ...sb.flags, '--health-port', String(port), '--', sb.tag, `--config=${file}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^taskdaemon: health server: listen EADDRINUSE/);
      expect(fs.existsSync(sb.pidfile)).toBe(false);
    } finally {
      srv.close();
    }
  });
});

describe('stop schedules', () => {
  it('--retry TERM/1/KILL/5: a daemon that ignores TERM is killed at the KILL step', async () => {
    sb = sandbox();
    const r0 = await td(['start', PROBE, ...sb.flags, '--', sb.tag, '--ignore-term']);
    expect(r0.code).toBe(0);
    const pid = sb.readPid()!;
    const r = await td(['stop', '--pidfile', sb.pidfile, '--name', sb.name, '--retry', 'TERM/1/KILL/5', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ name: sb.name, state: 'stopped', pid, how: 'killed' });
    expect(sb.readLog()).toContain('probe-ignored-term');
    expect(alive(pid)).toBe(false);
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });

  it('--retry with a number, and a daemon that exits on TERM: exited, not killed', async () => {
    sb = sandbox();
    expect((await td(['start', PROBE, ...sb.flags, '--', sb.tag])).code).toBe(0);
    const r = await td(['stop', '--pidfile', sb.pidfile, '--name', sb.name, '--retry', '5', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'stopped', how: 'exited' });
  });

  it('rejects a bad schedule with exit 2 and signals nothing', async () => {
    sb = sandbox();
    expect((await td(['start', PROBE, ...sb.flags, '--', sb.tag])).code).toBe(0);
    for (const bad of ['TERM', 'BOGUS/5', 'TERM/forever', '/5']) {
      const r = await td(['stop', '--pidfile', sb.pidfile, '--retry', bad]);
      expect(r.code, bad).toBe(2);
    }
    expect((await td(['status', '--pidfile', sb.pidfile])).code).toBe(0);
  });
});

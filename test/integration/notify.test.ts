// `taskdaemon run` under a service manager's protocols, with real peers: a
// test-owned unix datagram socket receives what systemd would (READY,
// RELOADING + MONOTONIC_USEC, STOPPING, STATUS, WATCHDOG), and
// systemd-socket-activate hands over a listening socket.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT } from '../helpers/cli';
import { waitFor } from '../helpers/proc';
import { freePort } from '../helpers/net';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const APP = path.join(FIXTURES, 'lifecycle.js');
const RECEIVER = path.join(ROOT, 'test', 'helpers', 'notify-receiver.py');
const hasPython = spawnSync('python3', ['-V']).status === 0;
const hasActivate = spawnSync('systemd-socket-activate', ['--version']).status === 0;
if (!hasPython) console.warn('notify.test: sd_notify tests skipped, python3 is not installed');
if (!hasActivate) console.warn('notify.test: socket activation test skipped, systemd-socket-activate is not installed');

let sb: Sandbox;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await sb?.cleanup();
});

interface Datagram {
  t: number;
  fields: Map<string, string>;
  raw: string;
}

async function receiver(address: string): Promise<{ messages: Datagram[] }> {
  const child = spawn('python3', [RECEIVER, address], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const state = { messages: [] as Datagram[] };
  let buf = '';
  let bound = false;
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, i)) as { bound?: string; t: number; msg: string };
      buf = buf.slice(i + 1);
      if (line.bound) bound = true;
      else state.messages.push({ t: line.t, raw: line.msg, fields: new Map(line.msg.split('\n').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) });
    }
  });
  await waitFor(() => bound, 5_000, 'the receiver to bind');
  return state;
}

function runApp(s: Sandbox, env: NodeJS.ProcessEnv, ...extra: string[]): { child: ChildProcess; stderr: () => string } {
  const config = path.join(s.dir, 'config.json');
  if (!fs.existsSync(config)) fs.writeFileSync(config, JSON.stringify({ version: 1 }));
  const child = spawn(process.execPath, [BIN, 'run', APP, '--name', s.name, '--no-pidfile', '--state-file', s.stateFile, ...extra, '--', s.tag, `--config=${config}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, stderr: () => stderr };
}

const kinds = (ms: Datagram[]): string[] => ms.filter((m) => !m.fields.has('WATCHDOG')).map((m) => [...m.fields.keys()][0]!);

describe.skipIf(!hasPython)('sd_notify', () => {
  for (const kind of ['path', 'abstract'] as const) {
    it(`READY, RELOADING + MONOTONIC_USEC then READY, STOPPING over a ${kind} socket`, async () => {
      sb = sandbox();
      const address = kind === 'path' ? path.join(sb.dir, 'notify.sock') : `@taskdaemon-test-${sb.tag}`;
      const rx = await receiver(address);
      const { child, stderr } = runApp(sb, { NOTIFY_SOCKET: address });
      await waitFor(() => rx.messages.some((m) => m.fields.get('READY') === '1'), 10_000, 'READY=1');
      const ready = rx.messages.find((m) => m.fields.get('READY') === '1')!;
      expect(ready.fields.get('MAINPID')).toBe(String(child.pid));
      expect(ready.fields.get('STATUS')).toBe('ready');
      expect(stderr()).toContain(' ready '); // readiness came after init finished

      child.kill('SIGHUP');
      await waitFor(() => rx.messages.filter((m) => m.fields.get('READY') === '1').length === 2, 5_000, 'READY after reload');
      const reloading = rx.messages.find((m) => m.fields.get('RELOADING') === '1')!;
      // MONOTONIC_USEC is CLOCK_MONOTONIC, the clock python's time.monotonic() reads.
      expect(Math.abs(Number(reloading.fields.get('MONOTONIC_USEC')) / 1e6 - reloading.t)).toBeLessThan(5);
      expect(reloading.fields.get('STATUS')).toBe('reloading (generation 1)');

      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      await waitFor(() => rx.messages.some((m) => m.fields.has('STOPPING')), 5_000, 'STOPPING=1');
      expect(kinds(rx.messages)).toEqual(['READY', 'RELOADING', 'READY', 'STOPPING']);
      expect(rx.messages.at(-1)!.fields.get('STATUS')).toBe('stopping (SIGTERM)');
    });
  }

  it('a rejected reload still ends in READY=1, with the reason in STATUS', async () => {
    sb = sandbox();
    const address = path.join(sb.dir, 'notify.sock');
    const rx = await receiver(address);
    const { child } = runApp(sb, { NOTIFY_SOCKET: address });
    await waitFor(() => rx.messages.some((m) => m.fields.get('READY') === '1'), 10_000, 'READY=1');
    fs.writeFileSync(path.join(sb.dir, 'config.json'), JSON.stringify({ version: 2, valid: false }));
    child.kill('SIGHUP');
    await waitFor(() => rx.messages.filter((m) => m.fields.get('READY') === '1').length === 2, 5_000, 'READY after reload');
    expect(rx.messages.at(-1)!.fields.get('STATUS')).toBe('ready (reload 1 rejected: config rejected: version 2 is marked invalid)');
  });

  it('watchdog: WATCHDOG=1 at half the interval, and none while the event loop is blocked', async () => {
    sb = sandbox();
    const address = path.join(sb.dir, 'notify.sock');
    const rx = await receiver(address);
    const { child, stderr } = runApp(sb, { NOTIFY_SOCKET: address, WATCHDOG_USEC: '200000' });
    await waitFor(() => /listening port (\d+)/.test(stderr()), 10_000, 'the server');
    const port = Number(/listening port (\d+)/.exec(stderr())![1]);
    await new Promise((r) => setTimeout(r, 1000));
    const pings = (): Datagram[] => rx.messages.filter((m) => m.fields.get('WATCHDOG') === '1');
    const first = pings();
    // Expected one per 100 ms; the window is wide because tests never assert timings tightly.
    const rate = (first.length - 1) / (first.at(-1)!.t - first[0]!.t);
    expect(rate).toBeGreaterThan(5);
    expect(rate).toBeLessThan(20);
    expect(await (await fetch(`http://127.0.0.1:${port}/block?ms=700`)).text()).toBe('unblocked\n');
    await new Promise((r) => setTimeout(r, 300));
    const ts = pings().map((m) => m.t);
    const gaps = ts.slice(1).map((t, i) => t - ts[i]!);
    expect(Math.max(...gaps)).toBeGreaterThan(0.6); // the blocked loop sent nothing
    child.kill('SIGTERM');
    await once(child, 'exit');
  });

  it('no watchdog pings when WATCHDOG_PID names another process', async () => {
    sb = sandbox();
    const address = path.join(sb.dir, 'notify.sock');
    const rx = await receiver(address);
    const { child } = runApp(sb, { NOTIFY_SOCKET: address, WATCHDOG_USEC: '100000', WATCHDOG_PID: '1' });
    await waitFor(() => rx.messages.some((m) => m.fields.get('READY') === '1'), 10_000, 'READY=1');
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.messages.filter((m) => m.fields.has('WATCHDOG'))).toEqual([]);
    child.kill('SIGTERM');
    await once(child, 'exit');
  });
});


describe.skipIf(!hasActivate)('socket activation', () => {
  it('the example HTTP daemon serves a socket passed as fd 3, and the first connection is answered', async () => {
    sb = sandbox();
    const port = await freePort();
    // systemd-socket-activate listens, waits for a connection, then execs us with LISTEN_FDS=1.
    const child = spawn('systemd-socket-activate', ['-l', `127.0.0.1:${port}`, '--fdname=http', process.execPath, BIN, 'run',
      path.join(ROOT, 'examples', 'http-server.js'), '--name', sb.name, '--no-pidfile', '--no-state-file', '--', sb.tag], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => stderr.includes('Listening on'), 5_000, 'the activator to listen');
    const body = JSON.parse(await (await fetch(`http://127.0.0.1:${port}/first`)).text());
    expect(body).toMatchObject({ name: sb.name, pid: child.pid, url: '/first', requests: 1 });
    expect(stderr).toContain('listening socket-activated fd 3 (http)');
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});

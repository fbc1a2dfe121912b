// DaemonManager used the way a program would: from the built package, two
// daemons at once, through start, status, reload, kill, restart, stop and
// cleanup after a crash.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from '../helpers/cli';
import { alive, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const lib = require(path.join(ROOT, 'dist', 'index.js')) as typeof import('../../src/index');

const APP = path.join(FIXTURES, 'lifecycle.js');
const sandboxes: Sandbox[] = [];
afterEach(async () => {
  for (const s of sandboxes.splice(0)) await s.cleanup();
});

function managed(version: number): { s: Sandbox; m: InstanceType<typeof lib.DaemonManager>; config: string } {
  const s = sandbox();
  sandboxes.push(s);
  const config = path.join(s.dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ version }));
  const m = new lib.DaemonManager({
    entry: APP,
    name: s.name,
    pidfile: s.pidfile,
    stdout: s.log,
    stateFile: false,
    args: [s.tag, `--config=${config}`],
    stopTimeout: 5,
  });
  return { s, m, config };
}

describe('DaemonManager', () => {
  it('manages two daemons at once', async () => {
    const a = managed(1);
    const b = managed(2);
    expect(await a.m.status()).toEqual({ state: 'stopped', pid: null, detail: 'not running' });
    const [ra, rb] = await Promise.all([a.m.start(), b.m.start()]);
    expect(ra.pid).not.toBe(rb.pid);
    expect(a.m.getPid()).toBe(ra.pid);
    expect(b.m.isRunning()).toBe(true);
    await a.m.waitReady(5_000);
    const sa = await a.m.status();
    expect(sa).toMatchObject({ state: 'running', pid: ra.pid, detail: 'phase ready', report: { name: a.s.name, phase: 'ready' } });

    fs.writeFileSync(b.config, JSON.stringify({ version: 3 }));
    expect(await b.m.reload()).toMatchObject({ generation: 1, ok: true });
    fs.writeFileSync(b.config, JSON.stringify({ version: 4, valid: false }));
    expect(await b.m.reload()).toMatchObject({ generation: 2, ok: false, error: 'config rejected: version 4 is marked invalid' });

    const restarted = await a.m.restart();
    expect(restarted.pid).not.toBe(ra.pid);
    expect(alive(ra.pid)).toBe(false);

    expect(await b.m.stop()).toEqual({ state: 'stopped', pid: rb.pid, how: 'exited' });
    expect(b.m.isRunning()).toBe(false);
    expect(a.m.isRunning()).toBe(true); // the other one is untouched
    await a.m.stop();
  });

  it('kill, dead detection and cleanupStale', async () => {
    const { s, m } = managed(1);
    const { pid } = await m.start();
    expect(m.kill('SIGKILL')).toBe(true);
    // Not !alive(pid): a killed node's main thread is a zombie while its other threads still hold the files.
    await waitFor(() => !m.isRunning(), 5_000, 'the lock to be released');
    expect(await m.status()).toMatchObject({ state: 'dead', pid });
    expect(m.cleanupStale()).toBe(true);
    expect(fs.existsSync(s.pidfile)).toBe(false);
    expect(fs.existsSync(m.socket)).toBe(false);
    expect(await m.status()).toMatchObject({ state: 'stopped' });
    expect(m.kill()).toBe(false);
  });

  it("a failed start is 'failed' with the daemon's message; bad options throw at construction", async () => {
    const { s, m, config } = managed(1);
    fs.writeFileSync(config, JSON.stringify({ version: 1, valid: false }));
    await expect(m.start()).rejects.toMatchObject({ code: 'ERR_START_FAILED', message: 'invalid config: config rejected: version 1 is marked invalid' });
    expect(await m.status()).toEqual({ state: 'failed', pid: null, detail: 'invalid config: config rejected: version 1 is marked invalid' });
    expect(fs.existsSync(s.pidfile)).toBe(false);
    expect(() => new lib.DaemonManager({ entry: APP, umask: '0999' })).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => new lib.DaemonManager({ entry: '/no/such.js' })).toThrow(expect.objectContaining({ exitCode: 5 }));
  });

  it('start on a running daemon rejects with ERR_ALREADY_RUNNING and its pid', async () => {
    const { m } = managed(1);
    const { pid } = await m.start();
    const err = await m.start().catch((e: unknown) => e);
    expect(lib.isAlreadyRunning(err)).toBe(true);
    expect((err as { pid: number }).pid).toBe(pid);
    expect(await m.status()).toMatchObject({ state: 'running' }); // not 'failed'
    await m.stop();
  });
});

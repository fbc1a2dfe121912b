// src/blocking-waits.ts: `status`, `reload` and `stop` wait on their main
// thread (no addon thread, no thread pool), and a SIGINT still ends them at
// once. strace shows which thread made the call: the control socket's
// connect(2), and the poll(2) on the pidfd of the daemon being stopped.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { td, tdRunning } from '../helpers/cli';
import { alive, waitFor } from '../helpers/proc';
import { startApp, writeConfig } from '../helpers/app';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const hasStrace = spawnSync('strace', ['-V']).status === 0;
if (!hasStrace) console.warn('main-thread-waits.test: strace cases skipped, strace is not installed');

let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

// The CLI under strace -f: its main thread's id (the node process's pid: the
// first traced execve that runs node) and every traced line.
async function traced(s: Sandbox, args: string[], syscalls: string): Promise<{ code: number | null; main: number; lines: string[] }> {
  const trace = path.join(s.dir, `trace-${args[0]}`);
  const r = await td(args, { wrap: ['strace', '-f', '-qq', '-o', trace, '-e', `trace=execve,${syscalls}`] });
  const lines = fs.readFileSync(trace, 'utf8').split('\n');
  const exec = lines.find((l) => /^\d+\s+execve\("[^"]*node"/.test(l));
  expect(exec, lines.slice(0, 5).join('\n')).toBeDefined();
  return { code: r.code, main: Number(/^\d+/.exec(exec!)![0]), lines };
}

describe('one-shot commands wait on their main thread', () => {
  it.skipIf(!hasStrace)('status and reload connect from the main thread; stop polls the pidfd from it', async () => {
    sb = sandbox();
    const { pid } = await startApp(sb, { version: 1 });
    const sock = sb.pidfile.replace(/\.pid$/, '.sock');
    const connects = (t: { lines: string[] }): number[] => t.lines.filter((l) => l.includes(`connect(`) && l.includes(sock)).map((l) => Number(/^\d+/.exec(l)![0]));

    const status = await traced(sb, ['status', '--pidfile', sb.pidfile], 'connect');
    expect(status.code).toBe(0);
    expect(connects(status)).toEqual([status.main]);

    writeConfig(sb, { version: 2 });
    const reload = await traced(sb, ['reload', '--pidfile', sb.pidfile], 'connect');
    expect(reload.code).toBe(0);
    expect(connects(reload)).toEqual([reload.main, reload.main]); // 'state', then 'awaitReload'

    const stop = await traced(sb, ['stop', '--pidfile', sb.pidfile], 'pidfd_open,poll');
    expect(stop.code).toBe(0);
    const open = stop.lines.find((l) => new RegExp(`pidfd_open\\(${pid},`).test(l));
    expect(open).toBeDefined();
    const pidfd = Number(/= (\d+)$/.exec(open!)![1]);
    const polls = stop.lines.filter((l) => new RegExp(`poll\\(\\[\\{fd=${pidfd}, events=POLLIN\\}\\]`).test(l)).map((l) => Number(/^\d+/.exec(l)![0]));
    expect(polls.length).toBeGreaterThan(0);
    expect(new Set(polls)).toEqual(new Set([stop.main]));
    expect(alive(pid)).toBe(false);
  });

  it('a SIGINT ends a reload that waits for a slow reload hook at once; the daemon goes on', async () => {
    sb = sandbox();
    const { pid } = await startApp(sb, { version: 1 });
    writeConfig(sb, { version: 2, reloadDelayMs: 3_000 });
    const cli = tdRunning(['reload', '--pidfile', sb.pidfile]);
    await waitFor(() => /reloading/.test(sb.readLog()), 5_000, 'the daemon to begin its reload');
    const sent = Date.now();
    process.kill(cli.pid, 'SIGINT');
    const r = await cli.done;
    expect(r.signal).toBe('SIGINT');
    expect(Date.now() - sent).toBeLessThan(1_500); // the hook has 3 s to go
    expect(alive(pid)).toBe(true);
    await waitFor(() => /reloaded/.test(sb.readLog()), 10_000, 'the daemon to finish its reload');
  });
});

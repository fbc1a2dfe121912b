// spawnChild/waitChild/reapAny (native/child.cc): a child with exactly the fds
// asked for, LISTEN_PID set to itself, failures before execve reported, and
// reaping by pid or any.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';
import { waitFor } from '../helpers/proc';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { native } = require(path.join(ROOT, 'dist', 'native.js')) as typeof import('../../src/native');

describe('spawnChild', () => {
  it('gives the child exactly its fds (stdio, a socket at 3), LISTEN_PID of its own, and reports how it ended', async () => {
    const n = native();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-child-'));
    const outFile = path.join(dir, 'out');
    const out = fs.openSync(outFile, 'w');
    const devnull = fs.openSync('/dev/null', 'r');
    const stray = fs.openSync(path.join(dir, 'stray'), 'w'); // open in the parent, without any hand-over
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
      const r = n.spawnChild({
        file: '/bin/sh',
        argv: ['sh', '-c', 'echo "pid=$$ listen_pid=$LISTEN_PID"; ls /proc/$$/fd; exit 7'],
        envp: ['LISTEN_PID=', 'LISTEN_FDS=1'],
        fds: [devnull, out, out, fd],
        listenPid: true,
      }) as { pid: number };
      expect(r.pid).toBeGreaterThan(0);
      let ended: ReturnType<typeof n.waitChild> = null;
      await waitFor(() => (ended = n.waitChild(r.pid)) !== null, 5_000, 'the child to end');
      expect(ended).toEqual({ pid: r.pid, code: 7, signal: null });
      const text = fs.readFileSync(outFile, 'utf8').split('\n');
      expect(text[0]).toBe(`pid=${r.pid} listen_pid=${r.pid}`);
      // The shell's fds are 0-3 and nothing else: nothing of the parent's (the stray file) leaked.
      expect(text.slice(1).filter(Boolean).map(Number)).toEqual([0, 1, 2, 3]);
    } finally {
      server.close();
      for (const f of [out, devnull, stray]) fs.closeSync(f);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an fd given as -1 is closed in the child, whatever the parent had there', async () => {
    const n = native();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-child-'));
    const outFile = path.join(dir, 'out');
    const out = fs.openSync(outFile, 'w');
    try {
      // fd 0 of the child: asked closed (this process's own fd 0 is open).
      const r = n.spawnChild({ file: '/bin/sh', argv: ['sh', '-c', 'ls /proc/$$/fd'], envp: [], fds: [-1, out, out] }) as { pid: number };
      await waitFor(() => n.waitChild(r.pid) !== null, 5_000, 'the child to end');
      // The shell's own fds (ls lists /proc/<the shell>/fd): 1 and 2, no 0.
      expect(fs.readFileSync(outFile, 'utf8').split('\n').filter(Boolean).map(Number)).toEqual([1, 2]);
    } finally {
      fs.closeSync(out);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failure before execve comes back as { errno, syscall } and leaves no child', () => {
    const n = native();
    const devnull = fs.openSync('/dev/null', 'r');
    try {
      expect(n.spawnChild({ file: '/nonexistent/program', argv: ['x'], envp: [], fds: [devnull, devnull, devnull] })).toEqual({ errno: -2, syscall: 'execve' });
      expect(n.spawnChild({ file: '/bin/true', argv: ['true'], envp: [], cwd: '/nonexistent', fds: [devnull, devnull, devnull] })).toEqual({ errno: -2, syscall: 'chdir' });
      expect(n.reapAny()).toEqual([]);
    } finally {
      fs.closeSync(devnull);
    }
  });

  it('reapAny reaps every child that ended, signals included', async () => {
    const n = native();
    const devnull = fs.openSync('/dev/null', 'r');
    try {
      const a = (n.spawnChild({ file: '/bin/sh', argv: ['sh', '-c', 'exit 3'], envp: [], fds: [devnull, devnull, devnull] }) as { pid: number }).pid;
      const b = (n.spawnChild({ file: '/bin/sh', argv: ['sh', '-c', 'kill -TERM $$'], envp: [], fds: [devnull, devnull, devnull] }) as { pid: number }).pid;
      const seen = new Map<number, unknown>();
      await waitFor(() => {
        for (const e of n.reapAny()) seen.set(e.pid, e);
        return seen.size === 2;
      }, 5_000, 'both children to be reaped');
      expect(seen.get(a)).toEqual({ pid: a, code: 3, signal: null });
      expect(seen.get(b)).toEqual({ pid: b, code: null, signal: 15 });
    } finally {
      fs.closeSync(devnull);
    }
  });
});

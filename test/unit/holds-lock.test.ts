// holdsLock (src/pidfile.ts, native lockHeldBy in native/pidlock.cc): only a
// process holding the flock through an fd of its own counts, against real
// unrelated processes: a lock holder, one that merely has the file open, one
// locking another file, one gone, and this process itself.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { holdsLock, lockHolders, lockPidfile, releasePidfile } from '../../src/pidfile';
import { alive, flockFree, waitFor } from '../helpers/proc';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-holds-lock-'));
const children: ChildProcess[] = [];

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  // Each in a process group of its own: flock(1)'s child goes with it.
  for (const c of children.splice(0)) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
    await waitFor(() => c.exitCode !== null || c.signalCode !== null, 5_000, `pid ${c.pid} to end`);
  }
});

// The file's identity as node's fs.stat gives it, as the CLI passes it.
function id(file: string): [number, number] {
  const st = fs.statSync(file);
  return [st.dev, st.ino];
}

function sh(script: string, ...args: string[]): ChildProcess {
  const c = spawn('sh', ['-c', script, 'sh', ...args], { stdio: 'ignore', detached: true });
  children.push(c);
  return c;
}

describe('holdsLock', () => {
  it('is true for the process holding the flock, false for one that only has the file open', async () => {
    const file = path.join(dir, 'a.pid');
    fs.writeFileSync(file, '');
    // flock(1) takes the lock on an fd of its own and keeps it while sh sleeps (both share it).
    const holder = spawn('flock', [file, 'sh', '-c', 'exec sleep 300'], { stdio: 'ignore', detached: true });
    children.push(holder);
    // fd 3 open on the same file, no lock: anyone may open a pidfile to read it.
    const reader = sh('exec 3<"$1"; exec sleep 300', file);
    await waitFor(() => !flockFree(file), 5_000, 'flock(1) to take the lock');
    await waitFor(() => fs.readdirSync(`/proc/${reader.pid}/fd`).includes('3') && fs.readlinkSync(`/proc/${reader.pid}/exe`).endsWith('sleep'), 5_000, 'the reader to open the file');
    expect(holdsLock(holder.pid!, ...id(file))).toBe(true);
    expect(holdsLock(reader.pid!, ...id(file))).toBe(false);
    // Every holder, found by scanning /proc: flock(1) and the sleep it became the parent of.
    const holders = lockHolders(...id(file));
    expect(holders).toContain(holder.pid);
    expect(holders).not.toContain(reader.pid);
  });

  it('is false for a process locking another file, and for a pid that is gone', async () => {
    const file = path.join(dir, 'b.pid');
    const other = path.join(dir, 'other.pid');
    fs.writeFileSync(file, '');
    fs.writeFileSync(other, '');
    const holder = spawn('flock', [other, 'sh', '-c', 'exec sleep 300'], { stdio: 'ignore', detached: true });
    children.push(holder);
    await waitFor(() => !flockFree(other), 5_000, 'flock(1) to take the lock');
    expect(holdsLock(holder.pid!, ...id(file))).toBe(false);
    expect(holdsLock(holder.pid!, ...id(other))).toBe(true);
    process.kill(-holder.pid!, 'SIGKILL');
    await waitFor(() => holder.signalCode !== null, 5_000, 'the holder to end');
    await waitFor(() => !alive(holder.pid!), 5_000, 'the holder to be reaped');
    expect(holdsLock(holder.pid!, ...id(other))).toBe(false);
  });

  it('sees this very process holding the lock it took, and not after it let go', () => {
    const file = path.join(dir, 'self.pid');
    const lock = lockPidfile(file);
    try {
      expect(holdsLock(process.pid, lock.dev, lock.ino)).toBe(true);
    } finally {
      releasePidfile(lock);
      fs.closeSync(lock.fd);
    }
    // Its fd closed, the lock went with it.
    expect(holdsLock(process.pid, lock.dev, lock.ino)).toBe(false);
  });
});

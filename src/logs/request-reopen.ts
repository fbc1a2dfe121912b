// Asking a running daemon to reopen its logs from outside, as logrotate's
// postrotate does through `taskdaemon reopen-logs`: make sure the new file is
// there for it, send SIGUSR2 to the lock holder, and wait until its fds 1 and 2
// are the files at the log paths. A daemon that dropped root cannot create a
// file in a root-owned log directory (README "Log files and rotation"), so a
// missing log is created here first, as root, owned by the daemon's ids.
// See: man 2 open (O_EXCL, O_NOFOLLOW), man 2 fchown, man 5 proc (/proc/PID/fd)
import * as fs from 'node:fs';
import { TaskdaemonError } from '../errors';
import { holdsLock, probePidfile } from '../pidfile';
import { isRoot } from '../paths';
import { signalProcess } from '../terminate';
import { notLockHolder } from '../control/client/stop-status';

export interface ReopenRequest {
  pidfile: string;
  stdout: string;
  stderr: string;
  timeoutMs: number;
}

export type ReopenResult =
  | { state: 'not-running' }
  /** Its fds now are the files at the paths. */
  | { state: 'reopened'; pid: number; created: string[] }
  /** Signalled, but its fds are not ours to look at (another user's daemon). */
  | { state: 'sent'; pid: number; created: string[] };

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

// Effective uid and gid of a process (man 5 proc: "Uid: real effective saved fs").
function processIds(pid: number): { uid: number; gid: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (key: string): number => Number(new RegExp(`^${key}:\\s+\\d+\\s+(\\d+)`, 'm').exec(status)?.[1] ?? -1);
  return { uid: field('Uid'), gid: field('Gid') };
}

// A new, empty log for the daemon, only where nothing is: O_EXCL neither
// follows a symlink nor opens a file someone put there; fchown acts on the
// file just made. A missing directory is left to the daemon's own reopen.
function createFor(file: string, owner: { uid: number; gid: number }): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o640);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOENT') return false;
    throw err;
  }
  try {
    fs.fchownSync(fd, owner.uid, owner.gid);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

// true: every fd is the file at its path; false: not yet; null: we may not look.
function fdsMatch(pid: number, wanted: [string, number[]][]): boolean | null {
  for (const [file, fds] of wanted) {
    let target: fs.Stats;
    try {
      target = fs.statSync(file);
    } catch {
      return false;
    }
    for (const fd of fds) {
      try {
        const st = fs.statSync(`/proc/${pid}/fd/${fd}`);
        if (st.dev !== target.dev || st.ino !== target.ino) return false;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM') return null;
        return false;
      }
    }
  }
  return true;
}

export async function requestReopen(r: ReopenRequest): Promise<ReopenResult> {
  const p = probePidfile(r.pidfile);
  if (p.state !== 'locked' || p.pid === null) return { state: 'not-running' };
  const pid = p.pid;
  const wanted: [string, number[]][] = r.stdout === r.stderr ? [[r.stdout, [1, 2]]] : [[r.stdout, [1]], [r.stderr, [2]]];
  const created: string[] = [];
  if (isRoot()) {
    const owner = processIds(pid);
    for (const [file] of wanted) if (createFor(file, owner)) created.push(file);
  }
  const sent = signalProcess(pid, 'SIGUSR2', () => holdsLock(pid, p.dev, p.ino));
  if (sent === 'gone') return { state: 'not-running' };
  if (sent === 'not-ours') throw notLockHolder(r.pidfile, pid, p.dev, p.ino);
  const deadline = Date.now() + r.timeoutMs;
  for (;;) {
    const match = fdsMatch(pid, wanted);
    if (match === null) return { state: 'sent', pid, created };
    if (match) return { state: 'reopened', pid, created };
    if (!holdsLock(pid, p.dev, p.ino)) return { state: 'not-running' };
    if (Date.now() > deadline) {
      throw new TaskdaemonError(`pid ${pid} did not reopen ${wanted.map(([f]) => f).join(' and ')} within ${r.timeoutMs / 1000}s`, {
        code: 'ERR_REOPEN_FAILED',
        hint: 'its log says why (log-reopen-failed); the daemon keeps writing to the old file',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

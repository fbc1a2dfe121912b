// The flock-locked PID file (DESIGN.md §2, §4). The lock, not the file's
// existence, says a daemon is alive: an unlocked pidfile is stale and its pid
// is never trusted. Opened with O_NOFOLLOW so a planted symlink is refused.
// See: man 2 flock, man 2 open (O_NOFOLLOW)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from './exit-codes';
import { check, systemError, TaskdaemonError } from './errors';
import { native } from './native';
import { controlSocketPath, ensureDir } from './paths';
import { statFields } from './proc-state';

const { O_RDWR, O_RDONLY, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
const EWOULDBLOCK = -os.constants.errno.EWOULDBLOCK;

export interface LockedPidfile {
  fd: number;
  path: string;
  dev: number;
  ino: number;
}

export type PidfileProbe =
  | { state: 'missing'; path: string }
  | { state: 'empty'; path: string }
  | { state: 'locked'; path: string; pid: number | null; dev: number; ino: number }
  | { state: 'stale'; path: string; pid: number };

export class AlreadyRunningError extends TaskdaemonError {
  readonly pid: number | null;
  constructor(file: string, pid: number | null) {
    super(pid ? `already running (pid ${pid})` : `already running or starting (pidfile ${file} is locked)`, {
      exitCode: EXIT.FAILURE,
      code: 'ERR_ALREADY_RUNNING',
    });
    this.pid = pid;
  }
}

export function parsePid(text: string): number | null {
  const m = /^\s*(\d{1,10})\s*$/.exec(text);
  if (!m) return null;
  const pid = Number(m[1]);
  return pid > 0 && pid <= 0x3fffffff ? pid : null;
}

function readPidFd(fd: number): number | null {
  const buf = Buffer.alloc(64);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  return parsePid(buf.toString('latin1', 0, n));
}

function openPidfile(file: string, flags: number): number {
  try {
    return fs.openSync(file, flags | O_NOFOLLOW, 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new TaskdaemonError(`refusing to use pidfile ${file}: it is a symbolic link`, {
        exitCode: EXIT.FAILURE,
        code: 'ERR_PIDFILE_SYMLINK',
        hint: 'remove the link or point --pidfile at a regular file',
        cause: err,
      });
    }
    throw err;
  }
}

// A pidfile must be a plain file with one name, owned by whoever opens it, so
// that writing or deleting it can never touch somebody else's file.
function checkSafe(file: string, st: fs.Stats): void {
  const problem = !st.isFile()
    ? 'it is not a regular file'
    : st.nlink > 1
      ? 'it has more than one hard link'
      : st.uid !== process.geteuid!()
        ? `it is owned by uid ${st.uid}, not ${process.geteuid!()}`
        : null;
  if (problem) {
    throw new TaskdaemonError(`refusing to use pidfile ${file}: ${problem}`, {
      exitCode: EXIT.FAILURE,
      code: 'ERR_PIDFILE_UNSAFE',
    });
  }
}

// In a directory everyone may write to and that is not sticky (like /tmp is),
// anyone could unlink our pidfile while the daemon runs (a second start would
// then win a fresh lock) or swap it between our checks. See: man 2 unlink (EPERM, sticky)
function checkDir(file: string): void {
  const dir = path.dirname(file);
  const st = fs.statSync(dir);
  if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) {
    throw new TaskdaemonError(`refusing to use pidfile ${file}: its directory ${dir} is writable by everyone and not sticky`, {
      exitCode: EXIT.FAILURE,
      code: 'ERR_PIDFILE_UNSAFE',
      hint: `anyone could remove or replace the pidfile there; use a directory only its owner can write (or chmod +t ${dir})`,
    });
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

// flock(LOCK_EX|LOCK_NB), telling a reader from a holder. `status` and friends
// look at the lock by taking it shared for a few microseconds; meeting one of
// them is no running daemon. Only when a shared lock is refused too does an
// exclusive holder (a daemon, or a start in progress) exist. See: man 2 flock
function lockExclusive(fd: number): number {
  const n = native();
  for (let i = 0; i < 100; i++) {
    const rc = n.flock(fd, n.LOCK_EX | n.LOCK_NB);
    if (rc !== EWOULDBLOCK) return rc;
    if (n.flock(fd, n.LOCK_SH | n.LOCK_NB) === EWOULDBLOCK) return EWOULDBLOCK;
    n.flock(fd, n.LOCK_UN);
    Atomics.wait(pause, 0, 0, 1); // let the reader finish
  }
  return EWOULDBLOCK;
}

// Open (creating), lock exclusively without blocking, and make sure the locked
// inode is still the one at the path (a stop may have unlinked it meanwhile).
export function lockPidfile(file: string, opts: { create?: boolean } = {}): LockedPidfile {
  const create = opts.create ?? true;
  if (create) {
    ensureDir(path.dirname(file));
    checkDir(file);
  }
  for (let attempt = 0; attempt < 10; attempt++) {
    const fd = openPidfile(file, create ? O_RDWR | O_CREAT : O_RDWR);
    try {
      const st = fs.fstatSync(fd);
      checkSafe(file, st);
      const rc = lockExclusive(fd);
      if (rc === EWOULDBLOCK) throw new AlreadyRunningError(file, readPidFd(fd));
      check(rc, 'flock', file);
      let now: fs.Stats | undefined;
      try {
        now = fs.lstatSync(file);
      } catch {
        now = undefined;
      }
      if (now && now.dev === st.dev && now.ino === st.ino) {
        return { fd, path: file, dev: st.dev, ino: st.ino };
      }
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    fs.closeSync(fd); // replaced or unlinked under us: try again with the new file
  }
  throw new TaskdaemonError(`pidfile ${file} keeps being replaced; giving up`, { code: 'ERR_PIDFILE_RACE' });
}

// Tell whether a daemon holds the pidfile's lock, without keeping any lock.
export function probePidfile(file: string): PidfileProbe {
  const n = native();
  let fd: number;
  try {
    fd = openPidfile(file, O_RDONLY | O_NONBLOCK); // a FIFO planted as the pidfile must not hang open(2)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing', path: file };
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new TaskdaemonError(`refusing to use pidfile ${file}: it is not a regular file`, { code: 'ERR_PIDFILE_UNSAFE' });
    const pid = readPidFd(fd);
    const rc = n.flock(fd, n.LOCK_SH | n.LOCK_NB);
    if (rc === EWOULDBLOCK) return { state: 'locked', path: file, pid, dev: st.dev, ino: st.ino };
    check(rc, 'flock', file);
    n.flock(fd, n.LOCK_UN);
    return pid === null ? { state: 'empty', path: file } : { state: 'stale', path: file, pid };
  } finally {
    fs.closeSync(fd);
  }
}

// Empty and unlink a pidfile whose lock we hold (as the daemon or as a
// starter cleaning up), and the control socket next to it: holding the lock
// makes both ours. Unlinking needs write access to the directory, which a
// daemon that dropped root lacks: the empty file then reads "not running",
// and the next start or stop removes both.
export function releasePidfile(lock: LockedPidfile): void {
  try {
    fs.unlinkSync(controlSocketPath(lock.path));
  } catch {
    /* none, or not ours to remove */
  }
  try {
    fs.ftruncateSync(lock.fd, 0);
  } catch {
    /* read-only fd or file system: unlink below may still work */
  }
  try {
    const st = fs.lstatSync(lock.path);
    if (st.dev === lock.dev && st.ino === lock.ino) fs.unlinkSync(lock.path);
  } catch {
    /* gone already, or no permission: emptied is enough */
  }
}

// Remove a stale (unlocked) pidfile, taking the lock first so we never delete
// one that a concurrent start has just claimed.
export function removeStalePidfile(file: string): boolean {
  let lock: LockedPidfile;
  try {
    lock = lockPidfile(file, { create: false });
  } catch (err) {
    if (err instanceof AlreadyRunningError || (err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  releasePidfile(lock);
  fs.closeSync(lock.fd);
  return true;
}

// Gone, or a task whose memory map is gone or never was: vsize (field 23 of
// /proc/PID/stat, shown to every user) is 0 only then. See: man 5 proc
function hasNoMemoryMap(pid: number): boolean {
  const f = statFields(pid);
  return f === null || f[20] === '0';
}

// Does process `pid` hold the flock on this inode? Only such a process is
// ever signalled. An fd on the file is not enough (anyone may open it to
// read): the kernel lists a lock in /proc/PID/fdinfo/FD only for the open
// file description that holds it. See: man 5 proc (/proc/pid/fdinfo), man 2 flock
export function holdsLock(pid: number, dev: number, ino: number): boolean {
  // Each fd of the process stat'ed through /proc/PID/fd, a match's fdinfo read for the lock (native/pidlock.cc).
  const r = native().lockHeldBy(pid, dev, ino);
  if (r >= 0) return r === 1;
  if (r === -os.constants.errno.ENOENT || r === -os.constants.errno.ESRCH) return false;
  // A process with no memory map (a zombie, one exiting: past exit_mm but
  // not yet a zombie, a kernel thread) has a /proc/PID/fd that is root's
  // (task_dump_owner in fs/proc/base.c): EACCES for a caller that is not
  // root, yet it holds no lock of a user's. Seen after a failed setup step.
  if (r === -os.constants.errno.EACCES && hasNoMemoryMap(pid)) return false;
  throw systemError(r, 'open', `/proc/${pid}/fd`);
}

/** Every process holding the flock on this inode (a slow scan of /proc: for reports, not hot paths). */
export function lockHolders(dev: number, ino: number): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(e) && holdsLockQuietly(Number(e), dev, ino)) out.push(Number(e));
  }
  return out;
}

function holdsLockQuietly(pid: number, dev: number, ino: number): boolean {
  try {
    return holdsLock(pid, dev, ino);
  } catch {
    return false; // another user's process we may not inspect
  }
}

// Log files are opened by the caller (possibly root) and handed to the daemon as fds.
//
// Who owns a log (README "Log files and rotation"): a log the starter creates
// for a daemon that drops root belongs to the daemon's user, mode 0640, in a
// directory that stays root's. The daemon can then reopen the file at its path
// after logrotate's `create` made a new one for it, while it can never create,
// rename or plant anything in the directory that root's tools (this starter,
// logrotate) later work in.
// See: man 2 open (O_NOFOLLOW, O_NONBLOCK), man 7 fifo
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TaskdaemonError } from './errors';
import { ensureDir } from './paths';

const { O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
// O_NONBLOCK: a FIFO planted as the log must not hang `start` in open(2)
// (without a reader it fails at once; with one it is refused below). It means
// nothing for regular files and /dev/null.
const FLAGS = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK;

function refuse(file: string, why: string, cause?: unknown): TaskdaemonError {
  return new TaskdaemonError(`refusing to log to ${file}: ${why}`, { code: why.includes('symbolic') ? 'ERR_LOG_SYMLINK' : 'ERR_LOG_UNSAFE', ...(cause !== undefined && { cause }) });
}

/** The ids a new log file is given (-1: unchanged). */
export interface LogOwner {
  uid: number;
  gid: number;
}

// The caller may be root and the log directory the daemon user's: a planted
// symlink or hard link must not make root append to some other file
// (O_NOFOLLOW, one link only), nor a planted FIFO hang it.
export function openLog(file: string, owner: LogOwner | null = null): number {
  ensureDir(path.dirname(file));
  let fd: number;
  try {
    fd = (owner && createOwned(file, owner)) ?? fs.openSync(file, FLAGS, 0o640);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw refuse(file, 'it is a symbolic link', err);
    if (code === 'ENXIO') throw refuse(file, 'it is not a regular file (a FIFO or socket)', err);
    throw err;
  }
  const st = fs.fstatSync(fd);
  const problem = st.isFile() ? (st.nlink > 1 ? 'it has more than one hard link' : null) : st.isCharacterDevice() ? null : 'it is not a regular file';
  if (problem) {
    fs.closeSync(fd);
    throw refuse(file, problem);
  }
  return fd;
}

// Only a file created by this very open is given away: O_EXCL never follows a
// symlink nor opens what someone else put there, and fchown(2) changes what
// was opened, not whatever the path names by then. An existing file keeps its
// owner (an older root-owned log is fixed by the next `create` rotation).
function createOwned(file: string, owner: LogOwner): number | null {
  let fd: number;
  try {
    fd = fs.openSync(file, FLAGS | O_EXCL, 0o640);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw err;
  }
  try {
    fs.fchownSync(fd, owner.uid, owner.gid);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw err;
  }
  return fd;
}

// The owner of the logs of a daemon that changes ids; null when it keeps the caller's.
export function logOwnerFor(credentials: { uid: number; gid: number } | null): LogOwner | null {
  if (!credentials || (credentials.uid < 0 && credentials.gid < 0)) return null;
  return { uid: credentials.uid, gid: credentials.gid };
}

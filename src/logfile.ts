// Log files are opened by the caller (possibly root) and handed to the daemon as fds.
// See: man 2 open (O_NOFOLLOW, O_NONBLOCK), man 7 fifo
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TaskdaemonError } from './errors';
import { ensureDir } from './paths';

const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

function refuse(file: string, why: string, cause?: unknown): TaskdaemonError {
  return new TaskdaemonError(`refusing to log to ${file}: ${why}`, { code: why.includes('symbolic') ? 'ERR_LOG_SYMLINK' : 'ERR_LOG_UNSAFE', ...(cause !== undefined && { cause }) });
}

// The caller may be root and the log directory the daemon user's: a planted
// symlink or hard link must not make root append to some other file
// (O_NOFOLLOW, one link only), and a planted FIFO must not hang `start` in
// open(2) (O_NONBLOCK: without a reader it fails at once, and any FIFO is
// refused). O_NONBLOCK means nothing for regular files and /dev/null.
export function openLog(file: string): number {
  ensureDir(path.dirname(file));
  let fd: number;
  try {
    fd = fs.openSync(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o640);
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

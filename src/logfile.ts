// Log files are opened by the caller (possibly root) and handed to the daemon as fds.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TaskdaemonError } from './errors';
import { ensureDir } from './paths';

const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = fs.constants;

// O_NOFOLLOW: the caller may be root and the log directory the daemon user's;
// a planted symlink must not make root append to some other file.
export function openLog(file: string): number {
  ensureDir(path.dirname(file));
  try {
    return fs.openSync(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o640);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new TaskdaemonError(`refusing to log to ${file}: it is a symbolic link`, { code: 'ERR_LOG_SYMLINK', cause: err });
    }
    throw err;
  }
}

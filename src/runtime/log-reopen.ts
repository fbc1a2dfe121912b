// SIGUSR2: reopen the log files for logrotate's `create` mode. The path is
// opened again and dup2(2)'d onto fds 1 and 2, so every later write (console,
// process.stdout, the lifecycle log) lands in the new file and no line is lost
// or split. If the open fails, the old file stays in use and a warning says why.
import * as fs from 'node:fs';
import { systemError } from '../errors';
import { openLog } from '../logfile';
import { native } from '../native';
import type { Logger } from './logger';

export function reopenLogs(stdout: string | null, stderr: string | null, log: Logger): void {
  const n = native();
  const targets: [string, number[]][] = [];
  if (stdout && stdout === stderr) targets.push([stdout, [1, 2]]);
  else {
    if (stdout) targets.push([stdout, [1]]);
    if (stderr) targets.push([stderr, [2]]);
  }
  for (const [file, fds] of targets) {
    let fd: number;
    try {
      fd = openLog(file);
    } catch (err) {
      log.warn('log-reopen-failed', `${file}: ${(err as Error).message}; still writing to the old file`);
      continue;
    }
    // Stop at the first fd that cannot switch (it keeps the old file) and say
    // so: a "reopened" line after a failure would be a lie.
    let failure: string | null = null;
    for (const target of fds) {
      const rc = n.dup2(fd, target);
      if (rc < 0) {
        failure = `fd ${target} keeps the old file: ${systemError(rc, 'dup2').message}`;
        break;
      }
    }
    fs.closeSync(fd);
    if (failure) log.warn('log-reopen-failed', `${file}: ${failure}`);
    else log.info('log-reopened', file);
  }
}

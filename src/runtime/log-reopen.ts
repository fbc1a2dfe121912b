// SIGUSR2: reopen the log files for logrotate's `create` mode. The path is
// opened again and dup2(2)'d onto fds 1 and 2, so every later write (console,
// process.stdout, the lifecycle log) lands in the new file and no line is lost
// or split. If the open fails, the old file stays in use and a warning says why.
import * as fs from 'node:fs';
import { check } from '../errors';
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
    try {
      for (const target of fds) check(n.dup2(fd, target), 'dup2', file);
    } catch (err) {
      log.warn('log-reopen-failed', `${file}: ${(err as Error).message}`);
    } finally {
      fs.closeSync(fd);
    }
    log.info('log-reopened', file);
  }
}

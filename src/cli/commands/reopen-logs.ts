// taskdaemon reopen-logs: after the log was moved away (logrotate's `create`
// mode, or `mv` by hand), have the daemon write to a new file at its path.
// 0 reopened, 7 not running (0 with --oknodo: logrotate's postrotate must not
// fail for a daemon that is stopped; its next start opens the new path).
import * as path from 'node:path';
import { EXIT } from '../../exit-codes';
import { requestReopen } from '../../logs/request-reopen';
import { parseDuration } from '../../options';
import { defaultLogFile, validateName } from '../../paths';
import { startOptionsOf } from '../../control/client/start-options';
import { TaskdaemonError } from '../../errors';
import { out } from '../output';
import { targetPidfile, type TargetOptions } from '../shared';

export interface ReopenLogsFlags extends TargetOptions {
  stdout?: string;
  stderr?: string;
  timeout?: string;
  oknodo?: boolean;
}

export async function reopenLogsCommand(nameArg: string | undefined, f: ReopenLogsFlags): Promise<number> {
  const { name, pidfile, merged } = targetPidfile(nameArg, f);
  let named = { stdout: f.stdout ?? merged.stdout, stderr: f.stderr ?? merged.stderr };
  // No flag or file names the log: the files the running daemon was started with (it knows them),
  // not the name's default, which a daemon started with --stdout never opened.
  if (named.stdout === undefined) {
    const started = await startOptionsOf(pidfile);
    if (started && typeof started.stdout === 'string') named = { stdout: started.stdout, stderr: named.stderr ?? started.stderr };
  }
  const stdout = path.resolve(named.stdout ?? defaultLogFile(validateName(name)));
  const stderr = path.resolve(named.stderr ?? stdout);
  const timeoutMs = parseDuration(f.timeout ?? 10, '--timeout');
  const r = await requestReopen({ pidfile, stdout, stderr, timeoutMs });
  if (r.state === 'not-running') {
    if (!f.oknodo) throw new TaskdaemonError(`${name} is not running`, { exitCode: EXIT.NOT_RUNNING, code: 'ERR_NOT_RUNNING' });
    out(`${name} is not running; nothing to reopen`);
    return EXIT.OK;
  }
  const files = stdout === stderr ? stdout : `${stdout} and ${stderr}`;
  const made = r.created.length ? ` (created ${r.created.join(', ')} for it)` : '';
  if (r.state === 'sent') out(`sent SIGUSR2 to ${name} (pid ${r.pid}) to reopen ${files}${made}; its fds are not visible to this user, so it is not confirmed`);
  else out(`${name} (pid ${r.pid}) reopened ${files}${made}`);
  return EXIT.OK;
}

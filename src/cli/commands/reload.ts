// taskdaemon reload: SIGHUP to the lock holder, then wait for that reload's
// result over the control socket: 0 applied, 1 rejected (with the daemon's
// reason) or not observed, 7 not running.
import { reloadDaemon } from '../../control/client/reload';
import { EXIT } from '../../exit-codes';
import { TaskdaemonError } from '../../errors';
import { parseDuration } from '../../duration';
import { json, out } from '../output';
import { targetPidfile, type TargetOptions } from '../shared';

export interface ReloadFlags extends TargetOptions {
  timeout?: string;
  json?: boolean;
}

export async function reloadCommand(nameArg: string | undefined, f: ReloadFlags): Promise<number> {
  const { name, pidfile } = targetPidfile(nameArg, f);
  const timeoutMs = parseDuration(f.timeout ?? 60, '--timeout');
  const { pid, result } = await reloadDaemon(pidfile, name, timeoutMs);
  if (!result) {
    if (f.json) json({ name, pid, signal: 'SIGHUP', delivered: true, result: null });
    else out(`sent SIGHUP to ${name} (pid ${pid}): signal delivered (it has no control socket to report the result)`);
    return EXIT.OK;
  }
  if (f.json) json({ name, pid, ...result });
  if (result.ok) {
    if (!f.json) out(`reloaded ${name} (generation ${result.generation})`);
    return EXIT.OK;
  }
  throw new TaskdaemonError(`reload of ${name} rejected: ${result.error}`, { code: 'ERR_RELOAD_REJECTED', hint: `${name} keeps running with its previous config` });
}

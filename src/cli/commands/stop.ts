// taskdaemon stop: SIGTERM the lock holder, wait, then SIGKILL.
import { stopDaemon } from '../../control';
import { EXIT } from '../../exit-codes';
import { parseDuration } from '../../options';
import { err, json, out } from '../output';
import { targetPidfile, type TargetOptions } from '../shared';

export interface StopFlags extends TargetOptions {
  timeout: string;
  oknodo?: boolean;
  json?: boolean;
}

export async function stopCommand(nameArg: string | undefined, f: StopFlags): Promise<number> {
  const { name, pidfile } = targetPidfile(nameArg, f);
  const timeoutMs = parseDuration(f.timeout, '--timeout');
  const r = await stopDaemon({ pidfile, timeoutMs });
  if (r.state === 'stopped') {
    if (f.json) json({ name, state: 'stopped', pid: r.pid, how: r.how });
    else out(`stopped ${name} (pid ${r.pid}${r.how === 'killed' ? ', killed after timeout' : ''})`);
    return EXIT.OK;
  }
  const stale = r.stalePid ? ` (removed stale pidfile naming pid ${r.stalePid}, not signalled)` : '';
  if (f.json) json({ name, state: 'not-running', stalePid: r.stalePid });
  else (f.oknodo ? out : err)(`${f.oknodo ? '' : 'taskdaemon: '}${name} is not running${stale}`);
  return f.oknodo ? EXIT.OK : EXIT.FAILURE;
}

// taskdaemon stop: SIGTERM the lock holder, wait, then SIGKILL.
import { stopDaemon } from '../../control/client/stop-status';
import { EXIT } from '../../exit-codes';
import { err, json, out } from '../output';
import { stopPlan, targetPidfile, type TargetOptions } from '../shared';

export interface StopFlags extends TargetOptions {
  timeout?: string;
  retry?: string;
  oknodo?: boolean;
  json?: boolean;
}

export async function stopCommand(nameArg: string | undefined, f: StopFlags): Promise<number> {
  const { name, pidfile, merged } = targetPidfile(nameArg, f);
  const plan = stopPlan(f, merged);
  const oknodo = f.oknodo ?? merged.oknodo ?? false;
  const r = await stopDaemon({ pidfile, ...plan });
  if (r.state === 'stopped') {
    if (f.json) json({ name, state: 'stopped', pid: r.pid, how: r.how, ...(r.lingering && { lingering: r.lingering }) });
    else out(`stopped ${name} (pid ${r.pid}${r.how === 'killed' ? ', killed after timeout' : ''})`);
    if (r.lingering) {
      const who = r.lingering.length ? `pid ${r.lingering.join(', ')}` : 'a process we cannot see';
      err(`taskdaemon: warning: ${who} still holds the lock on ${pidfile} (a child of ${name} that inherited it); ${name} counts as running until it exits`);
    }
    return EXIT.OK;
  }
  const stale = r.stalePid ? ` (removed stale pidfile naming pid ${r.stalePid}, not signalled)` : '';
  if (f.json) json({ name, state: 'not-running', stalePid: r.stalePid });
  else (oknodo ? out : err)(`${oknodo ? '' : 'taskdaemon: '}${name} is not running${stale}`);
  return oknodo ? EXIT.OK : EXIT.FAILURE;
}

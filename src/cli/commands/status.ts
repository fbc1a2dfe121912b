// taskdaemon status: LSB status codes from the pidfile's lock.
import { daemonStatus, type DaemonStatus } from '../../control';
import { STATUS_EXIT } from '../../exit-codes';
import { color, err, json, out } from '../output';
import { targetPidfile, type TargetOptions } from '../shared';

export interface StatusFlags extends TargetOptions {
  json?: boolean;
}

export function statusCommand(nameArg: string | undefined, f: StatusFlags): number {
  const { name, pidfile } = targetPidfile(nameArg, f);
  let s: DaemonStatus;
  try {
    s = daemonStatus(pidfile);
  } catch (e) {
    // LSB: a status that cannot be determined is 4, whatever the reason.
    err(`taskdaemon: cannot tell whether ${name} runs: ${e instanceof Error ? e.message : String(e)}`);
    return STATUS_EXIT.UNKNOWN;
  }
  if (f.json) {
    json({ name, ...s });
  } else if (s.state === 'running') {
    out(`${name} is ${color(1, 32, 'running')}${s.pid ? ` (pid ${s.pid})` : ' (starting)'}`);
  } else if (s.state === 'dead') {
    out(`${name} is ${color(1, 31, 'dead')} but its pidfile exists (${pidfile} names pid ${s.pid})`);
  } else {
    out(`${name} is not running`);
  }
  return s.state === 'running' ? STATUS_EXIT.RUNNING : s.state === 'dead' ? STATUS_EXIT.DEAD_WITH_PIDFILE : STATUS_EXIT.NOT_RUNNING;
}

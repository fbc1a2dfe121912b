// taskdaemon status: LSB status codes from the pidfile's lock.
import { daemonStatus } from '../../control';
import { STATUS_EXIT } from '../../exit-codes';
import { color, json, out } from '../output';
import { targetPidfile, type TargetOptions } from '../shared';

export interface StatusFlags extends TargetOptions {
  json?: boolean;
}

export function statusCommand(nameArg: string | undefined, f: StatusFlags): number {
  const { name, pidfile } = targetPidfile(nameArg, f);
  const s = daemonStatus(pidfile);
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

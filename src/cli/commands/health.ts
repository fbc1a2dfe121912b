// taskdaemon health: the daemon's health hook, over the control socket:
// exit 0 healthy, 1 unhealthy, 3 not running.
import { controlSocketPath, rpcCall } from '../../control/client/rpc-client';
import { daemonStatus } from '../../control/client/stop-status';
import { STATUS_EXIT } from '../../exit-codes';
import { TaskdaemonError } from '../../errors';
import { isStopped } from '../../proc-state';
import { color, json, out } from '../output';
import { targetPidfile, type TargetOptions } from '../shared';

export interface HealthFlags extends TargetOptions {
  json?: boolean;
}

export async function healthCommand(nameArg: string | undefined, f: HealthFlags): Promise<number> {
  const { name, pidfile } = targetPidfile(nameArg, f);
  const s = daemonStatus(pidfile);
  if (s.state !== 'running') {
    if (f.json) json({ name, ok: false, state: s.state });
    else out(`${name} is not running`);
    return STATUS_EXIT.NOT_RUNNING;
  }
  if (s.pid !== null && isStopped(s.pid)) {
    if (f.json) json({ name, pid: s.pid, ok: false, stopped: true });
    else out(`${name} (pid ${s.pid}) is stopped by a signal (SIGSTOP or SIGTSTP): no health answer until it gets SIGCONT`);
    return 1;
  }
  const h = await rpcCall<{ ok: boolean; detail?: unknown; phase: string }>(controlSocketPath(pidfile), 'health', {}, 10_000);
  if (typeof h !== 'object' || h === null || typeof h.ok !== 'boolean') {
    throw new TaskdaemonError(`the control socket of ${name} answered 'health' with an unexpected report`, { code: 'ERR_CONTROL_REPLY' });
  }
  if (f.json) json({ name, pid: s.pid, ...h });
  else out(`${name} is ${h.ok ? color(1, 32, 'healthy') : color(1, 31, 'unhealthy')} (${h.phase})${h.detail !== undefined ? `: ${JSON.stringify(h.detail)}` : ''}`);
  return h.ok ? 0 : 1;
}

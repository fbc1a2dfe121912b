// taskdaemon reload: SIGHUP to the lock holder, then wait for that reload's
// result over the control socket: 0 applied, 1 rejected (with the daemon's
// reason), 7 not running.
import { controlSocketPath, rpcCall } from '../../control/rpc-client';
import { EXIT } from '../../exit-codes';
import { TaskdaemonError } from '../../errors';
import { holdsLock, probePidfile } from '../../pidfile';
import type { ReloadResult } from '../../runtime/define';
import { signalProcess } from '../../terminate';
import { json, out } from '../output';
import { targetPidfile, type TargetOptions } from '../shared';
import { parseDuration } from '../../options';

export interface ReloadFlags extends TargetOptions {
  timeout?: string;
  json?: boolean;
}

export async function reloadCommand(nameArg: string | undefined, f: ReloadFlags): Promise<number> {
  const { name, pidfile } = targetPidfile(nameArg, f);
  const timeoutMs = parseDuration(f.timeout ?? 60, '--timeout');
  const p = probePidfile(pidfile);
  if (p.state !== 'locked' || p.pid === null) {
    throw new TaskdaemonError(`${name} is not running`, { exitCode: EXIT.NOT_RUNNING, code: 'ERR_NOT_RUNNING' });
  }
  const sock = controlSocketPath(pidfile);
  // Where the reload count stands now, so we wait for the one our signal causes.
  const before = await rpcCall<{ generation: number }>(sock, 'status', {}, 5_000).catch(() => null);
  const pid = p.pid;
  const sent = signalProcess(pid, 'SIGHUP', () => holdsLock(pid, p.dev, p.ino));
  if (sent === 'not-ours') throw new TaskdaemonError(`pid ${pid} named in ${pidfile} does not hold the pidfile; not signalled`, { code: 'ERR_NOT_LOCK_HOLDER' });
  if (sent === 'gone') throw new TaskdaemonError(`${name} is not running`, { exitCode: EXIT.NOT_RUNNING, code: 'ERR_NOT_RUNNING' });
  if (!before) {
    out(`sent SIGHUP to ${name} (pid ${pid}); its control socket is not reachable, so the result is not known`);
    return EXIT.OK;
  }
  const result = await rpcCall<ReloadResult>(sock, 'awaitReload', { after: before.generation, timeoutMs }, timeoutMs + 5_000);
  if (f.json) json({ name, pid, ...result });
  if (result.ok) {
    if (!f.json) out(`reloaded ${name} (generation ${result.generation})`);
    return EXIT.OK;
  }
  throw new TaskdaemonError(`reload of ${name} rejected: ${result.error}`, { code: 'ERR_RELOAD_REJECTED', hint: `${name} keeps running with its previous config` });
}

// The one reload protocol, for `taskdaemon reload` and DaemonManager.reload():
// read the reload generation (the cheap `state` call: no health hook), send
// SIGHUP to the lock holder through a pidfd (so `kill -HUP` and this take the
// same path in the daemon), then wait for the result of the reload it caused.
import * as fs from 'node:fs';
import { EXIT } from '../../exit-codes';
import { TaskdaemonError } from '../../errors';
import { holdsLock, probePidfile } from '../../pidfile';
import { isStopped } from '../../proc-state';
import type { ReloadResult } from '../../runtime/define';
import { signalProcess } from '../../terminate';
import { controlSocketPath, rpcCall } from './rpc-client';
import { notLockHolder } from './stop-status';

export interface ReloadOutcome {
  pid: number;
  /** null: the daemon has no control socket (not a taskdaemon runtime), so only the signal is known. */
  result: ReloadResult | null;
}

function notRunning(name: string): TaskdaemonError {
  return new TaskdaemonError(`${name} is not running`, { exitCode: EXIT.NOT_RUNNING, code: 'ERR_NOT_RUNNING' });
}

export async function reloadDaemon(pidfile: string, name: string, timeoutMs: number): Promise<ReloadOutcome> {
  const p = probePidfile(pidfile);
  if (p.state !== 'locked' || p.pid === null) throw notRunning(name);
  const pid = p.pid;
  if (isStopped(pid)) {
    throw new TaskdaemonError(`${name} (pid ${pid}) is stopped by a signal (SIGSTOP); it cannot reload until it gets SIGCONT`, { code: 'ERR_DAEMON_STOPPED' });
  }
  const sock = controlSocketPath(pidfile);
  const hasSocket = fs.existsSync(sock);
  // Where the generation stands before our signal, so we wait for the reload it causes.
  let before: number | null = null;
  let unreachable: string | null = null;
  if (hasSocket) {
    try {
      before = (await rpcCall<{ generation: number }>(sock, 'state', {}, 5_000)).generation;
    } catch (e) {
      unreachable = e instanceof Error ? e.message : String(e);
    }
  }
  const sent = signalProcess(pid, 'SIGHUP', () => holdsLock(pid, p.dev, p.ino));
  if (sent === 'not-ours') throw notLockHolder(pidfile, pid, p.dev, p.ino);
  if (sent === 'gone') throw notRunning(name);
  if (!hasSocket) return { pid, result: null };
  if (before === null) {
    throw new TaskdaemonError(`sent SIGHUP to ${name} (pid ${pid}), but the result is unknown: ${unreachable}`, { code: 'ERR_RELOAD_UNOBSERVED' });
  }
  const result = await rpcCall<ReloadResult>(sock, 'awaitReload', { after: before, timeoutMs }, timeoutMs + 5_000);
  return { pid, result };
}

// `stop` and `status` from the pidfile and its lock (DESIGN.md §4). Only a
// process that holds the pidfile open while its lock is held is ever signalled.
import { TaskdaemonError } from '../../errors';
import { holdsLock, lockHolders, probePidfile, removeStalePidfile } from '../../pidfile';
import { parseRetry, timeoutSchedule } from '../../retry';
import { terminate } from '../../terminate';

export type DaemonStatus =
  /** pid: the lock holder. namedPid, when it differs: what the pidfile says (then pid is whoever truly holds the lock, or null). */
  | { state: 'running'; pid: number | null; pidfile: string; namedPid?: number | null }
  | { state: 'dead'; pid: number; pidfile: string }
  | { state: 'stopped'; pidfile: string };

export function daemonStatus(pidfile: string): DaemonStatus {
  const p = probePidfile(pidfile);
  switch (p.state) {
    case 'locked': {
      if (p.pid !== null && holdsLock(p.pid, p.dev, p.ino)) return { state: 'running', pid: p.pid, pidfile };
      // The pidfile names nobody yet (a start in progress) or the wrong process: say who truly holds the lock.
      const holders = lockHolders(p.dev, p.ino);
      return { state: 'running', pid: holders.length === 1 ? holders[0]! : null, pidfile, namedPid: p.pid };
    }
    case 'stale':
      return { state: 'dead', pid: p.pid, pidfile };
    default:
      return { state: 'stopped', pidfile };
  }
}

export interface StopOptions {
  pidfile: string;
  /** How long to wait for a graceful exit after SIGTERM before SIGKILL (when no schedule is given). */
  timeoutMs?: number;
  /** A start-stop-daemon schedule such as TERM/30/KILL/5 (wins over timeoutMs). */
  retry?: string;
  onSignal?: (signal: NodeJS.Signals) => void;
}

export type StopResult =
  /** lingering: processes that still hold the pidfile's lock after the daemon ended (children of a program that inherited it). */
  | { state: 'stopped'; pid: number; how: 'exited' | 'killed' | 'gone'; lingering?: number[] }
  | { state: 'not-running'; stalePid: number | null };

export async function stopDaemon(o: StopOptions): Promise<StopResult> {
  const p = probePidfile(o.pidfile);
  if (p.state === 'missing' || p.state === 'empty') return { state: 'not-running', stalePid: null };
  if (p.state === 'stale') {
    // Its pid is never trusted; the files are just cleaned up.
    removeStalePidfile(o.pidfile);
    return { state: 'not-running', stalePid: p.pid };
  }
  if (p.pid === null) {
    throw new TaskdaemonError(`pidfile ${o.pidfile} is locked but names no pid (still starting?)`, { code: 'ERR_NO_PID' });
  }
  const pid = p.pid;
  const schedule = o.retry ? parseRetry(o.retry) : timeoutSchedule(o.timeoutMs ?? 30_000);
  const result = await terminate(pid, {
    schedule,
    verify: () => holdsLock(pid, p.dev, p.ino),
    ...(o.onSignal && { onSignal: o.onSignal }),
  });
  if (result === 'not-ours') throw notLockHolder(o.pidfile, pid, p.dev, p.ino);
  if (result === 'survived') {
    throw new TaskdaemonError(`pid ${pid} is still running at the end of the stop schedule`, { code: 'ERR_STOP_FAILED' });
  }
  // A killed daemon could not clean up; one that dropped root could only empty
  // its pidfile and could not remove its root-made control socket.
  if (!removeStalePidfile(o.pidfile)) {
    // A program's lock fd is inherited by the children it starts: one that outlives it keeps the pidfile locked.
    const q = probePidfile(o.pidfile);
    if (q.state === 'locked') return { state: 'stopped', pid, how: result, lingering: lockHolders(q.dev, q.ino) };
  }
  return { state: 'stopped', pid, how: result };
}

/** The pidfile names a process that does not hold its lock: never signal it, and say who does. */
export function notLockHolder(pidfile: string, pid: number, dev: number, ino: number): TaskdaemonError {
  const holders = lockHolders(dev, ino);
  const who = holders.length === 0 ? 'no process we can see holds it' : `it is held by pid ${holders.join(', ')}`;
  return new TaskdaemonError(`pid ${pid} named in ${pidfile} does not hold its lock (${who}); not signalled`, {
    code: 'ERR_NOT_LOCK_HOLDER',
    hint: 'status shows the same; if the holder is your daemon, signal it yourself',
  });
}

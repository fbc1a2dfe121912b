// What is true of a daemon right now, for `taskdaemon status` and
// DaemonManager.status() alike (one implementation, one vocabulary, LSB's):
// running (its pidfile's lock is held), dead (the pidfile names a pid nobody
// holds the lock for), stopped (no pidfile, or an empty one). The lock decides;
// the control socket only adds the daemon's own report, and a daemon stopped by
// SIGSTOP is not asked (it cannot answer until SIGCONT).
import * as fs from 'node:fs';
import type { DaemonStatusReport } from '../../runtime/control-surface';
import type { SupervisorReport } from '../../supervisor/report-types';
import { isStopped } from '../../proc-state';
import { controlSocketPath, rpcCall } from './rpc-client';
import { daemonStatus, type DaemonStatus } from './stop-status';

export type Inspection = DaemonStatus & {
  /** Stopped by a signal (state T): running, but deaf until SIGCONT. */
  stopped?: boolean;
  /** The daemon's own report, when its control socket answered (a supervisor's adds its instances). */
  report?: DaemonStatusReport & { health: { ok: boolean; detail?: unknown }; supervisor?: SupervisorReport };
  /**
   * A supervisor that gave up (--restart-limit): it still holds the lock, but
   * its program is dead, so the state is 'dead' (LSB status 1) and this says why.
   */
  gaveUp?: string;
  /** Why there is no report although the daemon runs. */
  controlError?: string;
  /** The error's code: ERR_CONTROL_TIMEOUT when it did not answer in time (busy). */
  controlErrorCode?: string;
};

export async function inspectDaemon(pidfile: string, o: { report?: boolean; timeoutMs?: number } = {}): Promise<Inspection> {
  const s = daemonStatus(pidfile);
  if (s.state !== 'running') return s;
  if (s.pid !== null && isStopped(s.pid)) return { ...s, stopped: true };
  const sock = controlSocketPath(pidfile);
  // No socket: a daemon under `run --no-pidfile`'s sibling, or a program without the runtime.
  if (o.report === false || !fs.existsSync(sock)) return s;
  try {
    const report = await rpcCall<Inspection['report']>(sock, 'status', {}, o.timeoutMs ?? 3_000);
    if (typeof report !== 'object' || report === null || typeof report.phase !== 'string') {
      return { ...s, controlError: `the control socket ${sock} answered 'status' with an unexpected report` };
    }
    // A supervisor in its 'failed' phase (DESIGN.md §8): nothing of the program runs.
    const gaveUp = report.supervisor?.gaveUp;
    if (gaveUp && s.pid !== null) return { state: 'dead', pid: s.pid, pidfile, report, gaveUp: gaveUp.reason };
    return { ...s, report };
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    return { ...s, controlError: e instanceof Error ? e.message : String(e), ...(typeof code === 'string' && { controlErrorCode: code }) };
  }
}

// `start --oknodo` and DaemonManager.ensureRunning(): make sure the daemon
// runs and is ready, whoever starts it. Many callers at once (auto-start)
// give one daemon: one wins the pidfile lock and starts it, the others wait
// for its readiness over the control socket; if that start fails, the next
// caller tries, all within one ready timeout.
import * as fs from 'node:fs';
import { TaskdaemonError } from '../../errors';
import { formatDuration } from '../../duration';
import type { ResolvedOptions } from '../../options';
import { AlreadyRunningError, probePidfile } from '../../pidfile';
import { startDaemon, type StartControl, type StartResult } from '../../daemonize';
import { controlSocketPath, rpcCall, RpcCallError } from './rpc-client';

/** `start --oknodo` of a supervised daemon whose supervisor gave up (--restart-limit). */
export class GaveUpError extends TaskdaemonError {
  constructor(pidfile: string, pid: number) {
    super(`the supervisor (pid ${pid}) holding ${pidfile} gave up restarting its program; it is not running`, {
      code: 'ERR_GAVE_UP',
      hint: 'taskdaemon status says why; taskdaemon restart (or stop, then start) starts it again',
    });
  }
}

export type EnsureResult = { started: true; result: StartResult } | { started: false; pid: number | null };

const POLL_MS = 20;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Wait until the lock holder is ready (true), or the lock is free again (false: its start failed or it stopped).
async function waitForReady(pidfile: string, deadline: number, signal?: AbortSignal): Promise<{ ready: boolean; pid: number | null }> {
  const sock = controlSocketPath(pidfile);
  while (Date.now() < deadline && !signal?.aborted) {
    const p = probePidfile(pidfile);
    if (p.state !== 'locked') return { ready: false, pid: null };
    // The starter binds the socket before it forks, so a written pid without a socket means no runtime to ask.
    if (p.pid !== null && !fs.existsSync(sock)) return { ready: true, pid: p.pid };
    const left = Math.max(1, Math.min(deadline - Date.now(), 5_000));
    try {
      const r = await rpcCall<{ phase: string; pid: number }>(sock, 'awaitReady', { timeoutMs: left }, left + 1_000);
      if (r.phase === 'ready' || r.phase === 'reloading') return { ready: true, pid: r.pid };
      // A supervisor that gave up keeps the lock (so status can say why): it will not become ready by waiting.
      if (r.phase === 'failed') throw new GaveUpError(pidfile, r.pid);
      if (r.phase !== 'starting') {
        // Stopping: wait for its lock to go, then start it again ourselves.
        while (probePidfile(pidfile).state === 'locked' && Date.now() < deadline && !signal?.aborted) await sleep(POLL_MS);
      }
    } catch (e) {
      if (e instanceof GaveUpError) throw e;
      if (e instanceof RpcCallError) return { ready: true, pid: p.pid }; // a daemon that cannot tell: the lock says it runs
      await sleep(POLL_MS); // not listening yet, or it just died: look at the lock again
    }
  }
  return { ready: false, pid: null };
}

export async function ensureRunning(o: ResolvedOptions, control: StartControl = {}): Promise<EnsureResult> {
  if (!o.pidfile) throw new TaskdaemonError('start needs a pidfile', { code: 'ERR_NO_PIDFILE' });
  const deadline = Date.now() + o.readyTimeoutMs;
  let lastPid: number | null = null;
  for (;;) {
    try {
      return { started: true, result: await startDaemon(o, control) };
    } catch (e) {
      if (!(e instanceof AlreadyRunningError)) throw e;
      lastPid = e.pid ?? lastPid;
    }
    const w = await waitForReady(o.pidfile, deadline, control.signal);
    if (w.ready) return { started: false, pid: w.pid };
    if (control.signal?.aborted) throw new TaskdaemonError(`interrupted while waiting for ${o.name} to be ready (it was started by another caller)`, { code: 'ERR_INTERRUPTED' });
    if (Date.now() >= deadline) {
      throw new TaskdaemonError(`${o.name} was started by another caller${lastPid ? ` (pid ${lastPid})` : ''} and was not ready within ${formatDuration(o.readyTimeoutMs)}`, {
        code: 'ERR_NOT_READY',
      });
    }
  }
}

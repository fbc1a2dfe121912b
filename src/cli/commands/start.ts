// taskdaemon start: daemonize the entry and wait until it is ready.
import { startDaemon, type StartResult } from '../../daemonize';
import { ensureRunning } from '../../control/client/ensure-running';
import { EXIT } from '../../exit-codes';
import { json, out } from '../output';
import { resolveDaemon, type DaemonFlags, type Resolved } from '../shared';

export interface StartFlags extends DaemonFlags {
  pidfile?: string;
  oknodo?: boolean;
  json?: boolean;
}

export async function startCommand(entry: string | undefined, args: string[], f: StartFlags): Promise<number> {
  return startResolved(resolveDaemon(entry, args, f), f);
}

function printStarted(r: StartResult, f: StartFlags): number {
  if (f.json) json({ name: r.name, state: 'running', pid: r.pid, pidfile: r.pidfile, stdout: r.stdout, stderr: r.stderr, started: true });
  else out(`started ${r.name} (pid ${r.pid})`);
  return EXIT.OK;
}

// The start itself, from options already resolved (restart resolves once for both halves).
export async function startResolved({ options: o, merged }: Resolved, f: StartFlags): Promise<number> {
  const oknodo = f.oknodo ?? merged.oknodo ?? false;
  // Ctrl-C (or a TERM from a supervisor) while waiting: stop the half-started daemon, leave nothing.
  const interrupt = new AbortController();
  const onSignal = (): void => interrupt.abort();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of signals) process.on(sig, onSignal);
  try {
    if (oknodo) {
      // Already running counts only once it is ready: wait for a start in progress (auto-start by many callers).
      const e = await ensureRunning(o, { signal: interrupt.signal });
      if (!e.started) {
        if (f.json) json({ name: o.name, state: 'running', pid: e.pid, pidfile: o.pidfile, started: false });
        else out(`${o.name} is already running${e.pid ? ` (pid ${e.pid})` : ''}`);
        return EXIT.OK;
      }
      return printStarted(e.result, f);
    }
    return printStarted(await startDaemon(o, { signal: interrupt.signal }), f);
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
  }
}

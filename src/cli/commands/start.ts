// taskdaemon start: daemonize the entry and wait until it is ready.
import { startDaemon } from '../../daemonize';
import { EXIT } from '../../exit-codes';
import { AlreadyRunningError } from '../../pidfile';
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

// The start itself, from options already resolved (restart resolves once for both halves).
export async function startResolved({ options: o, merged }: Resolved, f: StartFlags): Promise<number> {
  const oknodo = f.oknodo ?? merged.oknodo ?? false;
  // Ctrl-C (or a TERM from a supervisor) while waiting: stop the half-started daemon, leave nothing.
  const interrupt = new AbortController();
  const onSignal = (): void => interrupt.abort();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of signals) process.on(sig, onSignal);
  try {
    const r = await startDaemon(o, { signal: interrupt.signal });
    if (f.json) json({ name: r.name, state: 'running', pid: r.pid, pidfile: r.pidfile, stdout: r.stdout, stderr: r.stderr });
    else out(`started ${r.name} (pid ${r.pid})`);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof AlreadyRunningError && oknodo) {
      if (f.json) json({ name: o.name, state: 'running', pid: e.pid, pidfile: o.pidfile });
      else out(`${o.name} is already running${e.pid ? ` (pid ${e.pid})` : ''}`);
      return EXIT.OK;
    }
    throw e;
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
  }
}

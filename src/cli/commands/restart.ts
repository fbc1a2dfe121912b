// taskdaemon restart: stop (if running), then start with the same options.
import { stopDaemon } from '../../control/stop-status';
import { parseDuration } from '../../options';
import { out } from '../output';
import { resolveDaemon } from '../shared';
import { startResolved, type StartFlags } from './start';

export interface RestartFlags extends StartFlags {
  timeout?: string;
  retry?: string;
}

export async function restartCommand(entry: string | undefined, args: string[], f: RestartFlags): Promise<number> {
  const resolved = resolveDaemon(entry, args, f);
  const { options: o, merged } = resolved;
  const retry = f.retry ?? (f.timeout === undefined ? merged.retry : undefined);
  const timeoutMs = parseDuration(f.timeout ?? merged.stopTimeout ?? 30, '--timeout');
  const r = await stopDaemon({ pidfile: o.pidfile!, timeoutMs, ...(retry && { retry }) });
  if (r.state === 'stopped' && !f.json) out(`stopped ${o.name} (pid ${r.pid})`);
  return startResolved(resolved, f);
}

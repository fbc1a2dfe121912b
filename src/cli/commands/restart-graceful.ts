// taskdaemon restart NAME --graceful: a supervised daemon (DESIGN.md §8)
// replaces its instances one at a time (native/supervisor/graceful.cc), the
// supervisor, its pidfile and its sockets staying. Exit 0 once every instance
// was replaced; 1 with the new instance's error when one failed to become
// ready (the old ones keep serving); 7 when it does not run.
import * as path from 'node:path';
import { controlSocketPath, rpcCall, RpcCallError } from '../../control/client/rpc-client';
import { startOptionsOf } from '../../control/client/start-options';
import { daemonStatus } from '../../control/client/stop-status';
import { EXIT } from '../../exit-codes';
import { TaskdaemonError } from '../../errors';
import { defaultPidfile, validateName } from '../../paths';
import type { Replacement } from '../../supervisor/report-types';
import { err, json, out } from '../output';
import { resolveDaemon } from '../shared';
import type { RestartFlags } from './restart';
import { RPC } from '../../control/rpc-codes';


// The daemon a graceful restart is about: by its name, or by the entry and options that would start it.
function target(entry: string | undefined, args: string[], f: RestartFlags, byName: boolean): { name: string; pidfile: string; entry: string | null } {
  if (byName) {
    const name = validateName(entry!);
    return { name, pidfile: f.pidfile ? path.resolve(f.pidfile) : defaultPidfile(name), entry: null };
  }
  const o = resolveDaemon(entry, args, f).options;
  return { name: o.name, pidfile: o.pidfile!, entry: o.entry };
}

export async function gracefulRestart(entry: string | undefined, args: string[], f: RestartFlags, byName: boolean): Promise<number> {
  const t = target(entry, args, f, byName);
  const s = daemonStatus(t.pidfile);
  if (s.state !== 'running') {
    throw new TaskdaemonError(`${t.name} is not running: there is nothing to replace gracefully`, {
      exitCode: EXIT.NOT_RUNNING,
      code: 'ERR_NOT_RUNNING',
      hint: `start it: taskdaemon start ... --name ${t.name}`,
    });
  }
  const options = await startOptionsOf(t.pidfile);
  if (!options?.supervise) {
    throw new TaskdaemonError(`${t.name} (pid ${s.pid}) is not supervised: --graceful needs a daemon started with --restart, --listen or --instances`, {
      code: 'ERR_NOT_SUPERVISED',
      hint: `restart it without --graceful, or start it under a supervisor (README "Supervision")`,
    });
  }
  if (t.entry && t.entry !== options.entry) err(`taskdaemon: warning: ${t.name} runs ${options.entry}; --graceful starts that file again, not ${t.entry}`);
  else if (args.length || f.user || f.env || f.chdir || f.instances) err(`taskdaemon: warning: --graceful keeps the options ${t.name} was started with; restart without --graceful to change them`);
  // Each instance: a node start and its readiness, then the old one's drain.
  const timeoutMs = options.supervise.instances * (options.readyTimeoutMs + options.graceMs + 10_000);
  let result: { replaced: Replacement[] };
  try {
    result = await rpcCall<{ replaced: Replacement[] }>(controlSocketPath(t.pidfile), 'gracefulRestart', {}, timeoutMs);
  } catch (e) {
    if (e instanceof RpcCallError) {
      const why = e.rpcCode === RPC.METHOD_NOT_FOUND ? 'its supervisor does not know --graceful (a different taskdaemon version)' : e.message;
      throw new TaskdaemonError(`restart --graceful of ${t.name} failed: ${why}`, { code: 'ERR_GRACEFUL_RESTART' });
    }
    throw e;
  }
  if (f.json) json({ name: t.name, pid: s.pid, graceful: true, replaced: result.replaced });
  else out(`restarted ${t.name} gracefully (supervisor pid ${s.pid}): ${result.replaced.map((r) => `instance ${r.slot} pid ${r.old ?? '-'} -> ${r.new}`).join(', ')}`);
  return EXIT.OK;
}

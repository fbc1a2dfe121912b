// taskdaemon restart: stop (if running), then start with the same options.
// `restart ENTRY` (or a config file naming the entry) resolves the options
// anew; `restart NAME` asks the running daemon what it was started with.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startOptionsOf } from '../../control/client/start-options';
import { daemonStatus, stopDaemon } from '../../control/client/stop-status';
import { TaskdaemonError } from '../../errors';
import { defaultPidfile, validateName } from '../../paths';
import { err, out } from '../output';
import { resolveDaemon, stopPlan, type Resolved } from '../shared';
import { startResolved, type StartFlags } from './start';

export interface RestartFlags extends StartFlags {
  timeout?: string;
  retry?: string;
  graceful?: boolean;
}

// `restart api`: no such file, but a daemon name.
function isName(arg: string | undefined, f: RestartFlags): arg is string {
  if (!arg || fs.existsSync(path.resolve(arg))) return false;
  if (f.config || process.env.TASKDAEMON_CONFIG || fs.existsSync('taskdaemon.toml')) return false;
  return /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(arg);
}

async function runningOptions(name: string, f: RestartFlags): Promise<Resolved> {
  const pidfile = f.pidfile ? path.resolve(f.pidfile) : defaultPidfile(validateName(name));
  const s = daemonStatus(pidfile);
  if (s.state !== 'running') {
    throw new TaskdaemonError(`${name} is not running, and without its entry it cannot be started`, {
      code: 'ERR_NOT_RUNNING',
      hint: `give the entry: taskdaemon restart path/to/app.js --name ${name}`,
    });
  }
  const options = await startOptionsOf(pidfile);
  if (!options || typeof options !== 'object' || typeof options.entry !== 'string') {
    throw new TaskdaemonError(`${name} (pid ${s.pid}) cannot tell how it was started (no answer on its control socket)`, {
      code: 'ERR_NO_START_OPTIONS',
      hint: `give the entry: taskdaemon restart path/to/app.js --name ${name}`,
    });
  }
  // Everything comes from the running daemon: no config file or environment layer to read.
  return { options, merged: {}, layers: { configFile: null, file: {}, env: {} } };
}

export async function restartCommand(entry: string | undefined, args: string[], f: RestartFlags): Promise<number> {
  const byName = isName(entry, f);
  if (f.graceful) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./restart-graceful') as typeof import('./restart-graceful')).gracefulRestart(entry, args, f, byName);
  }
  if (byName && (args.length || f.user || f.env || f.chdir)) {
    err(`taskdaemon: warning: restart ${entry} reuses the options ${entry} was started with; give the entry to change them`);
  }
  const resolved = byName ? await runningOptions(entry, f) : resolveDaemon(entry, args, f);
  const { options: o, merged } = resolved;
  const r = await stopDaemon({ pidfile: o.pidfile!, ...stopPlan(f, merged) });
  if (r.state === 'stopped' && !f.json) out(`stopped ${o.name} (pid ${r.pid})`);
  return startResolved(resolved, f);
}

// taskdaemon run: the daemon runtime in the foreground, no fork; or, as a
// container's PID 1 (or with --init, or for a program that is not Node), init:
// the app in a child process, signals forwarded, orphans reaped.
import { runForeground } from '../../foreground';
import { resolveDaemon, type DaemonFlags } from '../shared';

export interface RunFlags extends DaemonFlags {
  init?: boolean;
}

// Resolves with the daemon's exit code once it has stopped.
export async function runCommand(entry: string | undefined, args: string[], f: RunFlags): Promise<number> {
  // In the foreground stdout and stderr stay where they are unless asked.
  const { options: o, merged } = resolveDaemon(entry, args, f);
  const { stdout, stderr } = merged;
  const redirects = { ...(stdout && { stdout }), ...(stderr && { stderr }) };
  const asInit = f.init === true || process.pid === 1;
  if (asInit || o.kind === 'program') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runAsInit } = require('../../init-mode') as typeof import('../../init-mode');
    return runAsInit(o, redirects, { subreaper: asInit && process.pid !== 1 });
  }
  return runForeground(o, redirects);
}

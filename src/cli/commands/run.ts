// taskdaemon run: the daemon runtime in the foreground, no fork.
import { runForeground } from '../../foreground';
import { resolveOptions } from '../../options';
import type { StartFlags } from './start';

export interface RunFlags extends Omit<StartFlags, 'oknodo' | 'json' | 'pidfile'> {
  /** false with --no-pidfile. */
  pidfile?: string | false;
}

// Resolves only when the daemon is up; the lifecycle exits the process itself.
export async function runCommand(entry: string | undefined, args: string[], f: RunFlags): Promise<null> {
  const o = resolveOptions({
    entry: entry ?? '',
    args: args[0] === '--' ? args.slice(1) : args, // commander keeps the separator
    ...(f.name !== undefined && { name: f.name }),
    ...(f.pidfile !== undefined && { pidfile: f.pidfile }),
    ...(f.user !== undefined && { user: f.user }),
    ...(f.group !== undefined && { group: f.group }),
    umask: f.umask,
    chdir: f.chdir,
    env: f.env,
    readyTimeout: f.readyTimeout,
  });
  await runForeground(o, { ...(f.stdout && { stdout: f.stdout }), ...(f.stderr && { stderr: f.stderr }) });
  return null;
}

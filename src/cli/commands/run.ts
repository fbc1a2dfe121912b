// taskdaemon run: the daemon runtime in the foreground, no fork.
import { runForeground } from '../../foreground';
import { resolveOptions } from '../../options';
import { daemonOptionsFromFlags, type DaemonFlags } from '../shared';

// Resolves only when the daemon is up; the lifecycle exits the process itself.
export async function runCommand(entry: string | undefined, args: string[], f: DaemonFlags): Promise<null> {
  // In the foreground stdout and stderr stay where they are unless asked.
  const { stdout, stderr, ...rest } = daemonOptionsFromFlags(entry, args, f);
  const o = resolveOptions(rest);
  await runForeground(o, { ...(stdout && { stdout }), ...(stderr && { stderr }) });
  return null;
}

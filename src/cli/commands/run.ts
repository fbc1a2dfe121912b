// taskdaemon run: the daemon runtime in the foreground, no fork.
import { runForeground } from '../../foreground';
import { resolveDaemon, type DaemonFlags } from '../shared';

// Resolves only when the daemon is up; the lifecycle exits the process itself.
export async function runCommand(entry: string | undefined, args: string[], f: DaemonFlags): Promise<null> {
  // In the foreground stdout and stderr stay where they are unless asked.
  const { options: o, merged } = resolveDaemon(entry, args, f);
  const { stdout, stderr } = merged;
  await runForeground(o, { ...(stdout && { stdout }), ...(stderr && { stderr }) });
  return null;
}

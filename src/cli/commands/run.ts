// taskdaemon run: the daemon runtime in the foreground, no fork.
import { runForeground } from '../../foreground';
import { resolveDaemon, type DaemonFlags } from '../shared';

// Resolves with the daemon's exit code once it has stopped.
export async function runCommand(entry: string | undefined, args: string[], f: DaemonFlags): Promise<number> {
  // In the foreground stdout and stderr stay where they are unless asked.
  const { options: o, merged } = resolveDaemon(entry, args, f);
  const { stdout, stderr } = merged;
  return runForeground(o, { ...(stdout && { stdout }), ...(stderr && { stderr }) });
}

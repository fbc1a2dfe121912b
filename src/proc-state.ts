// A process's scheduling state as ps shows it (man 5 proc: /proc/PID/stat,
// field 3): R running, S sleeping, D disk sleep, T stopped by a signal, t
// stopped by a tracer, Z zombie. A stopped daemon cannot answer its control
// socket, so callers check this before waiting for an answer that never comes.
import * as fs from 'node:fs';

export function processState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.charAt(stat.lastIndexOf(')') + 2) || null;
  } catch {
    return null;
  }
}

/** True when the process is stopped (SIGSTOP, SIGTSTP, or a tracer): it runs no code until SIGCONT. */
export function isStopped(pid: number): boolean {
  const s = processState(pid);
  return s === 'T' || s === 't';
}

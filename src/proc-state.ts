// A process's scheduling state as ps shows it (man 5 proc: /proc/PID/stat,
// field 3): R running, S sleeping, D disk sleep, T stopped by a signal, t
// stopped by a tracer, Z zombie. A stopped daemon cannot answer its control
// socket, so callers check this before waiting for an answer that never comes.
import * as fs from 'node:fs';

/** The fields of /proc/PID/stat after the parenthesised comm (which may hold spaces): [0] is the state (field 3); null when gone. */
export function statFields(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

export function processState(pid: number): string | null {
  return statFields(pid)?.[0] || null;
}

/** True when the process is stopped (SIGSTOP, SIGTSTP, or a tracer): it runs no code until SIGCONT. */
export function isStopped(pid: number): boolean {
  const s = processState(pid);
  return s === 'T' || s === 't';
}

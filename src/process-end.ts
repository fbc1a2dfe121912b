// How a child process ended, from waitpid(2)'s status as native waitChild
// gives it (or a zombie's /proc stat): in words for the log, `status` and
// `start`'s errors, and as the exit code a shell would report. Used by the
// supervisor, `run` as init and `start`.
import * as os from 'node:os';

export interface End {
  code: number | null;
  signal: number | null;
  /** Epoch milliseconds. */
  at: number;
}

export function signalName(sig: number): string {
  return Object.entries(os.constants.signals).find(([, n]) => n === sig)?.[0] ?? `signal ${sig}`;
}

export function describeEnd(e: Pick<End, 'code' | 'signal'>): string {
  if (e.signal !== null) return `was killed by ${signalName(e.signal)}`;
  // waitpid gave ECHILD: someone else reaped it.
  return e.code === null ? 'ended (its status was lost)' : `exited with code ${e.code}`;
}

/** From a wait status word (man 2 waitpid: WIFEXITED/WTERMSIG), e.g. a zombie's /proc stat field 52. */
export function endOfStatus(status: number): Pick<End, 'code' | 'signal'> {
  const sig = status & 0x7f;
  return sig === 0 ? { code: (status >> 8) & 0xff, signal: null } : { code: null, signal: sig };
}

/** A failure for --restart on-failure: a non-zero exit or a signal. */
export function failed(e: Pick<End, 'code' | 'signal'>): boolean {
  return e.signal !== null || e.code !== 0;
}

/** The exit code a process that ended this way is reported with by a shell: the code, or 128 + the signal. */
export function exitCodeOf(e: Pick<End, 'code' | 'signal'>): number {
  return e.signal !== null ? 128 + e.signal : (e.code ?? 1);
}

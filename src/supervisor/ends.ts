// How an instance ended, from waitpid(2)'s status as native waitChild gives
// it: in words for the log and `status`, and as a supervisor's exit code.
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
  return e.signal !== null ? `was killed by ${signalName(e.signal)}` : `exited with code ${e.code}`;
}

/** A failure for --restart on-failure: a non-zero exit or a signal. */
export function failed(e: Pick<End, 'code' | 'signal'>): boolean {
  return e.signal !== null || e.code !== 0;
}

/** The exit code a process that ended this way is reported with by a shell: the code, or 128 + the signal. */
export function exitCodeOf(e: Pick<End, 'code' | 'signal'>): number {
  return e.signal !== null ? 128 + e.signal : (e.code ?? 1);
}

// Shutdown's waiting part: tracked work (and run()) until the grace deadline,
// then the program's shutdown hook with what is left of it, and at least a
// last second. Returns the exit code it earned: 0, or 1 when work was still
// in flight at the deadline or the hook failed or overran.
import type { Logger } from './logger';

const HOOK_MIN_MS = 1_000;

export interface DrainInput {
  pending: Promise<unknown>[];
  /** How many tracked tasks are still in flight (for the deadline message). */
  inFlight: () => number;
  /** The grace period and the moment it ends. */
  graceMs: number;
  deadline: number;
  hook: (() => unknown) | null;
  log: Logger;
}

function within<T>(work: Promise<T>, ms: number): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.then((value) => ({ done: true as const, value })),
    new Promise<{ done: false }>((resolve) => {
      timer = setTimeout(() => resolve({ done: false }), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function drain(d: DrainInput): Promise<number> {
  let exitCode = 0;
  if (!(await within(Promise.allSettled(d.pending), Math.max(0, d.deadline - Date.now()))).done) {
    d.log.error('deadline-passed', `${d.inFlight()} tracked task(s) still in flight after ${d.graceMs} ms`);
    exitCode = 1;
  }
  const hookMs = Math.max(d.deadline - Date.now(), HOOK_MIN_MS);
  try {
    if (d.hook && !(await within(Promise.resolve(d.hook()), hookMs)).done) {
      d.log.error('shutdown-timeout', `the shutdown hook did not finish within ${hookMs} ms`);
      exitCode = 1;
    }
  } catch (err) {
    d.log.error('shutdown-failed', err instanceof Error && err.stack ? err.stack : String(err));
    exitCode = 1;
  }
  return exitCode;
}

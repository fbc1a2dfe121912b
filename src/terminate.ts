// Signal a process through a pidfd and wait for it to exit. Opening the pidfd
// first and verifying afterwards closes the pid-reuse race: from then on the
// fd names that one process, and a signal can never reach a newcomer.
// See: man 2 pidfd_open, man 2 pidfd_send_signal
import * as fs from 'node:fs';
import * as os from 'node:os';
import { waitsOnMainThread } from './blocking-waits';
import { check } from './errors';
import { native } from './native';
import type { RetryStep } from './retry';

const ESRCH = -os.constants.errno.ESRCH;

export interface TerminateOptions {
  /** What to send and how long to wait after each signal (see retry.ts). */
  schedule: RetryStep[];
  /** Called after the pidfd is open; false means "not ours": nothing is sent. */
  verify?: () => boolean;
  /** Told about every signal sent, for logging. */
  onSignal?: (signal: NodeJS.Signals) => void;
}

/** 'exited': after a signal other than KILL; 'killed': after SIGKILL. */
export type TerminateResult = 'gone' | 'not-ours' | 'exited' | 'killed' | 'survived';

export async function terminate(pid: number, opts: TerminateOptions): Promise<TerminateResult> {
  const n = native();
  const fd = n.pidfdOpen(pid);
  if (fd === ESRCH) return 'gone';
  check(fd, 'pidfd_open');
  try {
    if (opts.verify && !opts.verify()) return 'not-ours';
    let last: NodeJS.Signals | null = null;
    for (let i = 0; i < opts.schedule.length; i++) {
      const step = opts.schedule[i]!;
      if ('forever' in step) {
        i = -1; // from the top again, until it exits
        continue;
      }
      if ('signal' in step) {
        const rc = n.pidfdSendSignal(fd, step.number);
        if (rc === ESRCH) return last === null ? 'gone' : last === 'SIGKILL' ? 'killed' : 'exited';
        check(rc, 'pidfd_send_signal');
        last = step.signal;
        opts.onSignal?.(step.signal);
        continue;
      }
      // The pidfd polls readable the moment the process exits: no sleep loop.
      const exited = waitsOnMainThread() ? n.pidfdWaitSync(fd, step.waitMs) : await n.pidfdWait(fd, step.waitMs);
      if (check(exited, 'poll') === 1) return last === 'SIGKILL' ? 'killed' : 'exited';
    }
    return 'survived';
  } finally {
    fs.closeSync(fd);
  }
}

/** Send one signal to a process through a pidfd, after `verify` agrees. */
export function signalProcess(pid: number, signal: NodeJS.Signals, verify: () => boolean): 'sent' | 'gone' | 'not-ours' {
  const n = native();
  const fd = n.pidfdOpen(pid);
  if (fd === ESRCH) return 'gone';
  check(fd, 'pidfd_open');
  try {
    if (!verify()) return 'not-ours';
    const rc = n.pidfdSendSignal(fd, os.constants.signals[signal]);
    if (rc === ESRCH) return 'gone';
    check(rc, 'pidfd_send_signal');
    return 'sent';
  } finally {
    fs.closeSync(fd);
  }
}

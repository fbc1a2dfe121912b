// Signal a process through a pidfd and wait for it to exit. Opening the pidfd
// first and verifying afterwards closes the pid-reuse race: from then on the
// fd names that one process, and a signal can never reach a newcomer.
// See: man 2 pidfd_open, man 2 pidfd_send_signal
import * as fs from 'node:fs';
import * as os from 'node:os';
import { check } from './errors';
import { native } from './native';

const ESRCH = -os.constants.errno.ESRCH;

export interface TerminateOptions {
  /** Signal to send first. Default SIGTERM. */
  signal?: NodeJS.Signals;
  /** How long to wait after the first signal before SIGKILL; 0 kills at once. */
  graceMs: number;
  /** How long to wait after SIGKILL. Default 5 s. */
  killWaitMs?: number;
  /** Called after the pidfd is open; false means "not ours": nothing is sent. */
  verify?: () => boolean;
}

export type TerminateResult = 'gone' | 'not-ours' | 'exited' | 'killed' | 'survived';

export async function terminate(pid: number, opts: TerminateOptions): Promise<TerminateResult> {
  const n = native();
  const fd = n.pidfdOpen(pid);
  if (fd === ESRCH) return 'gone';
  check(fd, 'pidfd_open');
  try {
    if (opts.verify && !opts.verify()) return 'not-ours';
    const first = os.constants.signals[opts.signal ?? 'SIGTERM'];
    if (opts.graceMs > 0) {
      const rc = n.pidfdSendSignal(fd, first);
      if (rc === ESRCH) return 'gone';
      check(rc, 'pidfd_send_signal');
      if (check(await n.pidfdWait(fd, opts.graceMs), 'poll') === 1) return 'exited';
    }
    const rc = n.pidfdSendSignal(fd, os.constants.signals.SIGKILL);
    if (rc === ESRCH) return 'exited';
    check(rc, 'pidfd_send_signal');
    return check(await n.pidfdWait(fd, opts.killWaitMs ?? 5_000), 'poll') === 1 ? 'killed' : 'survived';
  } finally {
    fs.closeSync(fd);
  }
}

// What the lifecycle runs a daemon with: the resolved options (one object for
// `start`, which passes it through the boot pipe, and `run`), and what the
// process holds (fds, the pidfile lock).
import type { ResolvedOptions } from '../options';
import type { LockedPidfile } from '../pidfile';

export interface LifecycleOptions {
  /** The resolved options: the same object `start` hands over in the boot pipe and `run` resolves. */
  options: ResolvedOptions;
  mode: 'daemon' | 'foreground';
  /** `entry`: the lifecycle loads the program; `self`: the program is already running (daemonize()), and says when it is ready. */
  program?: 'entry' | 'self';
  /** Write end of the readiness pipe (daemon mode), or -1. */
  readyFd: number;
  lock: LockedPidfile | null;
  /** Listening control socket fd, or -1 (releasing the pidfile removes its file). */
  controlFd: number;
  /** Log files to reopen on SIGUSR2 (null: not a file of ours, as under `run` without --stdout). */
  stdoutPath: string | null;
  stderrPath: string | null;
  /** An app instance of a supervisor (DESIGN.md §8): its readiness pipe stays open, LISTEN_FDS are its sockets. */
  supervised?: boolean;
}

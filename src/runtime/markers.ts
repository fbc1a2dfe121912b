// How `start` tells the exec'd boot module what it inherited. The options
// travel in a pipe, not in the environment: /proc/PID/environ keeps
// the exec-time environment for the daemon's whole life, and the options may
// hold values given with --env. The one variable left names that fd; boot
// reads the options, closes the fd and deletes the variable at once, so the
// user's program and its children never see either.
import type { ResolvedOptions } from '../options';
import type { NativeSupervisorPlan } from '../supervisor/native-plan';

export const BOOT_ENV = '__TASKDAEMON_BOOT';

export interface BootMarker {
  v: 2;
  /** Write end of the readiness pipe. */
  readyFd: number;
  /** The locked pidfile's fd. */
  lockFd: number;
  /** Listening control socket (DESIGN.md §4), or -1; its path follows from the pidfile. */
  controlFd: number;
  /** Everything `start` resolved: the same object `run` uses in the foreground. */
  options: ResolvedOptions;
  /**
   * An app instance started by a supervisor: its readiness pipe stays open
   * after READY=1 and carries reload results and STOPPING (src/runtime/announce.ts).
   */
  supervised?: boolean;
  /** For the native supervisor (native/supervisor/plan.cc): what it acts on, resolved. */
  supervisor?: NativeSupervisorPlan;
  /** 'foreground': the child of `run --init` (a container's PID 1), which holds the pidfile and relays readiness. Default 'daemon'. */
  mode?: 'daemon' | 'foreground';
  /** The log files to reopen on SIGUSR2 when they are not options.stdout/stderr (`run --init`: null, stdout is the container's). */
  logs?: { stdout: string | null; stderr: string | null };
}

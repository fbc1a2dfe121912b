// What the lifecycle needs to run a daemon, mapped once from the resolved
// options for both `start` (boot.ts, from the boot pipe) and `run` (foreground.ts).
import type { ResolvedOptions } from '../options';
import type { LockedPidfile } from '../pidfile';
import type { LogFormat } from './logger';

export interface LifecycleOptions {
  name: string;
  mode: 'daemon' | 'foreground';
  entry: string;
  args: string[];
  /** Write end of the readiness pipe (daemon mode), or -1. */
  readyFd: number;
  lock: LockedPidfile | null;
  /** Grace period for tracked work at shutdown. */
  graceMs: number;
  logFormat: LogFormat;
  /** Where ctx.state lives, or null for none. */
  stateFile: string | null;
  /** A file whose changes trigger a reload. */
  watchConfig: string | null;
  /** Log files to reopen on SIGUSR2 (null: not a file of ours). */
  stdoutPath: string | null;
  stderrPath: string | null;
  /** Listening control socket fd, or -1 (releasing the pidfile removes its file). */
  controlFd: number;
  /** HTTP /health and /ready, or null. */
  healthPort: number | null;
  healthHost: string;
  /** What the daemon was started with, for `restart NAME` (null in the foreground). */
  startOptions: ResolvedOptions | null;
}

/** The one mapping from resolved options to the runtime, for `start` (boot) and `run` (foreground). */
export function lifecycleOptions(
  o: ResolvedOptions,
  mode: LifecycleOptions['mode'],
  held: { readyFd: number; lock: LockedPidfile | null; controlFd: number; stdoutPath: string | null; stderrPath: string | null },
): LifecycleOptions {
  return {
    name: o.name,
    mode,
    entry: o.entry,
    args: o.args,
    graceMs: o.graceMs,
    logFormat: o.logFormat,
    stateFile: o.stateFile,
    watchConfig: o.watchConfig,
    healthPort: o.healthPort,
    healthHost: o.healthHost,
    startOptions: mode === 'daemon' ? o : null,
    ...held,
  };
}


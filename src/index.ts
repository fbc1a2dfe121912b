// The library API: declare a daemon, and start/stop/inspect daemons from code.
// Every daemon loads this module to reach defineDaemon(), so the control
// functions load their modules only when called (each import costs memory).
// Every name is a plain CommonJS export, so an ES module's
// `import { DaemonManager } from 'taskdaemon'` finds it too.
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Control from './control/client/stop-status';
import type * as Daemonize from './daemonize';
import type * as Options from './options';
import type * as SelfDaemonize from './self-daemonize';
import { native } from './native';

// One clear ERR_UNSUPPORTED_PLATFORM at import, not a failure deep in a first call.
// Free for a daemon, which loads the addon anyway.
native();

export { defineDaemon, ready } from './runtime/define';
export type { BrandedDefinition, DaemonContext, DaemonDefinition, DaemonState } from './runtime/define';
export type { Logger } from './runtime/logger';
export type { StartResult } from './daemonize';
export type { DaemonStatus, StopOptions, StopResult } from './control/client/stop-status';
export type { DaemonOptions, ResolvedOptions } from './options';
export { SetupError, TaskdaemonError } from './errors';
export type { SystemError } from './errors';
export type { SetupStepName } from './setup-steps';
export type { ManagerOptions, ManagedState, ManagedStatus } from './manager';
export { DaemonManager } from './manager';
export type { ReloadResult, HealthReport } from './runtime/define';
export type { ListenFd } from './runtime/listen-fds';
export { EXIT, STATUS_EXIT } from './exit-codes';

/** Validate options and fill in defaults (throws TaskdaemonError with an LSB exit code). */
export function resolveOptions(o: Options.DaemonOptions): Options.ResolvedOptions {
  return (require('./options') as typeof Options).resolveOptions(o);
}

/** Daemonize and resolve once the daemon is ready (DESIGN.md §2). */
export function startDaemon(o: Options.ResolvedOptions): Promise<Daemonize.StartResult> {
  return (require('./daemonize') as typeof Daemonize).startDaemon(o);
}

/** SIGTERM the pidfile's lock holder, wait, then SIGKILL. */
export function stopDaemon(o: Control.StopOptions): Promise<Control.StopResult> {
  return (require('./control/client/stop-status') as typeof Control).stopDaemon(o);
}

/** running / dead (unlocked pidfile naming a pid) / stopped, from the pidfile's lock. */
export function daemonStatus(pidfile: string): Control.DaemonStatus {
  return (require('./control/client/stop-status') as typeof Control).daemonStatus(pidfile);
}

/**
 * Put this program itself in the background, with the same hardened start as
 * `taskdaemon start`: in the process you started it never returns (it exits
 * with start's code once the daemon is ready); in the daemon it returns a handle.
 */
export function daemonize(o?: SelfDaemonize.DaemonizeOptions): Promise<SelfDaemonize.DaemonHandle> {
  return (require('./self-daemonize') as typeof SelfDaemonize).daemonize(o);
}
export type { DaemonizeOptions, DaemonHandle } from './self-daemonize';

/** Thrown by startDaemon when the pidfile is locked by a running daemon. */
export function isAlreadyRunning(err: unknown): err is Error & { code: 'ERR_ALREADY_RUNNING'; pid: number | null } {
  return (err as { code?: unknown } | null)?.code === 'ERR_ALREADY_RUNNING';
}

// The library API: declare a daemon, and start/stop/inspect daemons from code.
export { defineDaemon, ready } from './runtime/define';
export type { DaemonContext, DaemonDefinition, DaemonState } from './runtime/define';
export type { Logger } from './runtime/logger';
export { startDaemon, type StartResult } from './daemonize';
export { stopDaemon, daemonStatus, type DaemonStatus, type StopOptions, type StopResult } from './control';
export { resolveOptions, type DaemonOptions, type ResolvedOptions } from './options';
export { TaskdaemonError } from './errors';
export { AlreadyRunningError } from './pidfile';
export { EXIT, STATUS_EXIT } from './exit-codes';

// The daemon's signal table (DESIGN.md §3). Handlers run from libuv's signal
// pipe, so none interrupts running JavaScript.
//   TERM, INT, QUIT  graceful shutdown; a second one during shutdown exits at once
//   HUP              reload
//   USR1             status dump to the log (without a listener, node would open the inspector)
//   USR2             reopen the log files (logrotate `create`)
//   PIPE             ignored (node ignores it from start-up: a write to a gone reader is EPIPE)
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export interface SignalActions {
  stop(signal: StopSignal): void;
  reload(): void;
  dumpStatus(): void;
  reopenLogs(): void;
}

export function installSignals(a: SignalActions): void {
  for (const sig of STOP_SIGNALS) process.on(sig, () => a.stop(sig));
  process.on('SIGHUP', () => a.reload());
  process.on('SIGUSR1', () => a.dumpStatus());
  process.on('SIGUSR2', () => a.reopenLogs());
}

/** Listeners the program added itself, beside ours: a plain script that handles SIGTERM is in charge of it. */
export function programHandles(signal: StopSignal): boolean {
  return process.listenerCount(signal) > 1;
}

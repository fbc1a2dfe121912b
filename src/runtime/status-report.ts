// The status report of a running daemon: SIGUSR1 writes it to the log, and
// the control plane answers `status` with it.
import type { DaemonState, HealthReport, ReloadResult } from './define';
import { logLoss, type LogLoss } from './log-loss';

export interface StatusInput {
  phase: DaemonState;
  startedAt: number;
  generation: number;
  reloadCount: number;
  lastReload: ReloadResult | null;
  inFlight: number;
  health: HealthReport;
}

export interface StatusReport extends Omit<StatusInput, 'startedAt'> {
  pid: number;
  uptimeMs: number;
  memory: { rssBytes: number; heapUsedBytes: number; externalBytes: number };
  eventLoop: { utilization: number; delayMs: number };
  /** What the log could not take (a full disk): bytes and writes lost. */
  log: LogLoss;
  node: string;
}

// How long a callback queued now waits for the loop: what a request arriving
// now would wait. Measured on demand, so an idle daemon pays no sampling timer.
export function measureLoopDelay(): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => setImmediate(() => resolve(Math.round(Number(process.hrtime.bigint() - t0) / 1e4) / 100)));
}

export function statusReport(s: StatusInput, delayMs: number): StatusReport {
  const mem = process.memoryUsage();
  const { startedAt, ...rest } = s;
  return {
    pid: process.pid,
    ...rest,
    uptimeMs: Date.now() - startedAt,
    memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, externalBytes: mem.external },
    // Share of time the loop was busy since start: near 1 means it is starved.
    eventLoop: { utilization: Math.round(performance.eventLoopUtilization().utilization * 1000) / 1000, delayMs },
    log: logLoss(),
    node: process.version,
  };
}

// What the control socket and the HTTP health endpoint may ask of a running
// daemon. The lifecycle implements it; those servers depend on this interface
// only, so the lifecycle can load them lazily without an import circle.
import type { ResolvedOptions } from '../options';
import type { DaemonState, HealthReport, ReloadResult } from './define';
import type { StatusReport } from './status-report';

export type DaemonStatusReport = StatusReport & { name: string; version: string; mode: string };

export interface ControlSurface {
  readonly phase: DaemonState;
  readonly generation: number;
  readonly reloadInProgress: boolean;
  /** What the daemon was started with (null in the foreground): `restart NAME` reuses it. */
  readonly startOptions: ResolvedOptions | null;
  status(): Promise<DaemonStatusReport>;
  health(): Promise<HealthReport>;
  requestReload(source: string): Promise<void>;
  awaitReload(after: number, timeoutMs: number): Promise<ReloadResult | null>;
  awaitReady(timeoutMs: number): Promise<DaemonState>;
  shutdown(reason: string): Promise<void>;
}

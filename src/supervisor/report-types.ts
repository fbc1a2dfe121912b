// What a supervised daemon's control socket answers (native/supervisor/:
// report.cc for `status`, rpc.cc for `gracefulRestart`), as the CLI reads it.
// A supervisor's `status` is the report every daemon gives
// (src/runtime/control-surface.ts), its phase one of the supervisor's own,
// and a `supervisor` part: each instance and the supervisor's own memory.

export interface InstanceReport {
  /** 1..N, as `status` numbers the instances. */
  slot: number;
  /** null while it is down (waiting for its restart, or given up). */
  pid: number | null;
  state: string;
  uptimeMs: number | null;
  restarts: number;
  lastEnd: { pid: number; code: number | null; signal: number | null; at: string; how: string } | null;
  /** Milliseconds until its restart, while one is scheduled. */
  restartInMs: number | null;
  /** A replacement being started by restart --graceful. */
  replacement: { pid: number; state: string } | null;
}

export interface SupervisorReport {
  restart: string;
  instances: InstanceReport[];
  listen: { name: string; spec: string }[];
  gaveUp: { reason: string; at: string; slot: number; pid: number; how: string; restarts: number } | null;
  /** The supervisor process itself: VmRSS, and private (Private_Clean + Private_Dirty). */
  memory: { rssBytes: number; privateBytes: number };
}

/** One instance replaced by `restart --graceful`: its slot, the old pid (null if none ran) and the new one. */
export interface Replacement {
  slot: number;
  old: number | null;
  new: number;
}

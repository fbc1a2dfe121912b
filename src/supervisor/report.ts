// What `status` shows of a supervised daemon: the supervisor's own report in
// the shape every daemon gives (src/runtime/status-report.ts), and beside it
// each instance (pid, state, uptime, restarts, last end) and the supervisor's
// own memory, VmRSS and private (man 5 proc: /proc/self/smaps_rollup).
import * as fs from 'node:fs';
import { packageVersion } from '../version';
import type { DaemonStatusReport } from '../runtime/control-surface';
import type { HealthReport } from '../runtime/define';
import { measureLoopDelay, statusReport } from '../runtime/status-report';
import { describeEnd } from '../process-end';
import type { Supervisor, SupervisorPhase } from './supervisor';
import { isoTime } from '../iso-time';

export interface InstanceReport {
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

/** A daemon's report, with the supervisor's phase ('failed' once it gave up) and its instances. */
export type SupervisedStatusReport = Omit<DaemonStatusReport, 'phase'> & { phase: SupervisorPhase; supervisor: SupervisorReport };

function ownMemory(): SupervisorReport['memory'] {
  const kb = (text: string, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const rollup = fs.readFileSync('/proc/self/smaps_rollup', 'utf8');
    return { rssBytes: kb(status, 'VmRSS'), privateBytes: kb(rollup, 'Private_Clean') + kb(rollup, 'Private_Dirty') };
  } catch {
    return { rssBytes: process.memoryUsage().rss, privateBytes: 0 };
  }
}

export function supervisorHealth(sup: Supervisor): HealthReport {
  const down = sup.slots.filter((s) => s.current?.state !== 'ready' && s.current?.state !== 'reloading').map((s) => s.index);
  const ok = (sup.phase === 'ready' || sup.phase === 'reloading') && down.length === 0;
  return { ok, detail: { instances: sup.slots.length, notReady: down, ...(sup.gaveUp && { gaveUp: sup.gaveUp.reason }) } };
}

export function instancesReport(sup: Supervisor): InstanceReport[] {
  const now = Date.now();
  return sup.slots.map((s) => ({
    slot: s.index,
    pid: s.current?.pid ?? null,
    state: s.current ? s.current.state : sup.phase === 'failed' ? 'given up' : s.timer ? 'restarting' : 'exited',
    uptimeMs: s.current ? now - s.current.startedAt : null,
    restarts: s.restarts,
    lastEnd: s.lastEnd && { pid: s.lastEnd.pid, code: s.lastEnd.code, signal: s.lastEnd.signal, at: isoTime(s.lastEnd.at), how: describeEnd(s.lastEnd) },
    restartInMs: s.restartAt !== null ? Math.max(0, s.restartAt - now) : null,
    replacement: s.next && { pid: s.next.pid, state: s.next.state },
  }));
}

export async function supervisorReport(sup: Supervisor): Promise<SupervisedStatusReport> {
  const g = sup.gaveUp;
  const base = statusReport(
    {
      phase: sup.phase === 'failed' ? 'stopped' : sup.phase, // replaced below: 'failed' is the supervisor's own
      startedAt: sup.startedAt,
      generation: sup.reloads.generation,
      reloadCount: sup.reloads.count,
      lastReload: sup.reloads.last,
      inFlight: 0,
      health: supervisorHealth(sup),
    },
    await measureLoopDelay(),
  );
  return {
    name: sup.options.name,
    version: packageVersion(),
    mode: 'supervisor',
    ...base,
    phase: sup.phase,
    supervisor: {
      restart: sup.sup.restart,
      instances: instancesReport(sup),
      listen: sup.sup.listen.map((l) => ({ name: l.name, spec: l.text.replace(/^[^=:]+=/, '') })),
      gaveUp: g && { reason: g.reason, at: isoTime(g.at), slot: g.slot, pid: g.pid, how: describeEnd(g.end), restarts: g.restarts },
      memory: ownMemory(),
    },
  };
}

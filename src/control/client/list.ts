// Every daemon whose pidfile is in one directory, for `taskdaemon list`: the
// lock and /proc decide what is true (inspect.ts, the same core as `status`),
// each daemon's own report adds its phase and restarts. All are asked at once,
// each with a short timeout: one that does not answer (busy, or stopped by
// SIGSTOP) is listed as such and never holds up the others.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatDuration } from '../../duration';
import { procCmdline, procUsage, type ProcUsage } from '../../proc-usage';
import { inspectDaemon, type Inspection } from './inspect';

export type ListedState = 'running' | 'starting' | 'reloading' | 'stopping' | 'dead' | 'failed' | 'stopped' | 'unknown';

export interface ListedDaemon {
  name: string;
  pidfile: string;
  pid: number | null;
  state: ListedState;
  /** Whether the daemon answered its control socket: null when there was nothing to ask (not running, stopped by a signal, no socket). */
  answered: boolean | null;
  /** Why the facts are incomplete, in words ("stopped by SIGSTOP: not asked"). */
  note: string | null;
  uptimeMs: number | null;
  /** Restarts by its supervisor (--restart), all instances together; null when not supervised. */
  restarts: number | null;
  /** VmRSS of the daemon, plus its instances when it supervises them. */
  rssBytes: number | null;
  /** CPU use (the daemon and its instances) over the sampling window, percent of one core (can exceed 100). */
  cpuPercent: number | null;
  uid: number | null;
  /** The version in the package.json nearest the entry (Node entries), else null. */
  version: string | null;
  /** The taskdaemon runtime inside it, from its report; null for a program. */
  taskdaemon: string | null;
}

export interface ListOptions {
  dir: string;
  /** Per-daemon answer timeout. */
  timeoutMs: number;
  /** Shortest CPU sampling window. */
  sampleMs?: number;
}

/** The pidfiles in `dir`, sorted; none when the directory does not exist. */
export function pidfilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .filter((n) => n.endsWith('.pid'))
    .sort()
    .map((n) => path.join(dir, n))
    .filter((f) => {
      try {
        return fs.lstatSync(f).isFile();
      } catch {
        return false;
      }
    });
}

// A supervised daemon's instances (their pids), from its report; none for a plain daemon.
function instancePids(s: Inspection): number[] {
  const sup = (s.report as { supervisor?: { instances?: { pid: number | null }[] } } | undefined)?.supervisor;
  return (sup?.instances ?? []).map((i) => i.pid).filter((p): p is number => typeof p === 'number' && p > 0);
}

// Restarts of all its instances; null when it is not supervised.
function restartsOf(s: Inspection): number | null {
  const report = s.report as { restarts?: unknown; supervisor?: { instances?: { restarts?: unknown }[] } } | undefined;
  if (report?.supervisor?.instances) return report.supervisor.instances.reduce((sum, i) => sum + (typeof i.restarts === 'number' ? i.restarts : 0), 0);
  return typeof report?.restarts === 'number' ? report.restarts : null;
}

function stateOf(s: Inspection): ListedState {
  // A supervisor that gave up holds its pidfile to tell why: failed, not just dead.
  if (s.state === 'dead') return s.gaveUp ? 'failed' : 'dead';
  if (s.state === 'stopped') return 'stopped';
  if (s.namedPid === null) return 'starting'; // locked, but the pidfile names nobody yet
  const phase = s.report?.phase as string | undefined;
  if (phase === 'starting' || phase === 'reloading' || phase === 'stopping' || phase === 'failed') return phase;
  if (phase === 'stopped') return 'stopping'; // its last moments
  return 'running';
}

function noteOf(s: Inspection, timeoutMs: number): string | null {
  if (s.state !== 'running') return null;
  if (s.stopped) return 'stopped by a signal (SIGSTOP): not asked; it runs no code until SIGCONT';
  if (s.controlError) return s.controlErrorCode === 'ERR_CONTROL_TIMEOUT' ? `did not answer within ${formatDuration(timeoutMs)} (busy?); the lock says it runs` : `no report: ${s.controlError}`;
  return null;
}

// The version of the Node program: the package.json nearest its entry. The
// entry is read from the command line start exec'd (node -- boot.js ENTRY).
function appVersion(pid: number): string | null {
  const argv = procCmdline(pid);
  // A plain daemon runs runtime/boot.js ENTRY, a supervised one taskdaemon-supervisor ENTRY.
  const runs = (a: string): boolean => a.endsWith(`${path.sep}runtime${path.sep}boot.js`) || a.endsWith(`${path.sep}taskdaemon-supervisor`);
  const boot = argv?.findIndex(runs) ?? -1;
  const entry = boot >= 0 ? argv![boot + 1] : undefined;
  if (!entry || !path.isAbsolute(entry)) return null;
  for (let dir = path.dirname(entry); ; dir = path.dirname(dir)) {
    try {
      const v = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version;
      return typeof v === 'string' ? v : null;
    } catch {
      /* none here, or not JSON: look further up */
    }
    if (path.dirname(dir) === dir) return null;
  }
}

async function inspectOne(pidfile: string, timeoutMs: number): Promise<{ pidfile: string; s: Inspection | null; error: string | null }> {
  try {
    return { pidfile, s: await inspectDaemon(pidfile, { timeoutMs }), error: null };
  } catch (e) {
    return { pidfile, s: null, error: e instanceof Error ? e.message : String(e) };
  }
}

export async function listDaemons(o: ListOptions): Promise<ListedDaemon[]> {
  const found = await Promise.all(pidfilesIn(o.dir).map((f) => inspectOne(f, o.timeoutMs)));
  // CPU use is CPU time over a short window, sampled for every running daemon at once (as top does).
  const first = new Map<string, ProcUsage | null>();
  for (const r of found) if (r.s?.state === 'running' && r.s.pid) for (const pid of [r.s.pid, ...instancePids(r.s)]) first.set(`${r.pidfile}:${pid}`, procUsage(pid));
  // hrtime, not performance.now(): the first use of `performance` loads perf_hooks (2-4 ms).
  const t1 = process.hrtime.bigint();
  if (first.size) await new Promise((resolve) => setTimeout(resolve, o.sampleMs ?? 200));
  const windowS = Number(process.hrtime.bigint() - t1) / 1e9;
  return found.map(({ pidfile, s, error }) => {
    const name = path.basename(pidfile, '.pid');
    const base: ListedDaemon = { name, pidfile, pid: null, state: 'unknown', answered: null, note: error, uptimeMs: null, restarts: null, rssBytes: null, cpuPercent: null, uid: null, version: null, taskdaemon: null };
    if (!s) return base;
    const pid = s.state === 'stopped' ? null : s.pid;
    const row: ListedDaemon = { ...base, name: (s.state === 'running' && s.report?.name) || name, pid, state: stateOf(s), note: noteOf(s, o.timeoutMs) };
    row.restarts = restartsOf(s);
    if (s.state !== 'running' || !pid) return row;
    row.answered = s.report ? true : s.controlError ? false : null;
    // Memory and CPU: the daemon's own process, plus its instances when it supervises them.
    const now = procUsage(pid);
    if (now) {
      row.uptimeMs = Math.round(now.ageSeconds * 1000);
      row.uid = now.uid;
      let rss = 0;
      let cpu = 0;
      let sampled = windowS > 0;
      for (const p of [pid, ...instancePids(s)]) {
        const after = p === pid ? now : procUsage(p);
        const before = first.get(`${pidfile}:${p}`);
        if (!after) continue;
        rss += after.rssBytes ?? 0;
        if (before) cpu += after.cpuSeconds - before.cpuSeconds;
        else sampled = false;
      }
      row.rssBytes = rss;
      if (sampled) row.cpuPercent = Math.round((cpu / windowS) * 1000) / 10;
    }
    row.version = appVersion(pid);
    row.taskdaemon = s.report?.version ?? null;
    return row;
  });
}

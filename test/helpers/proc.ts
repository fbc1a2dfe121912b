// Facts about a live process, read from /proc the way an operator would.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  session: number;
  ttyNr: number;
}

// man 5 proc: fields after the parenthesised comm; comm may contain spaces.
export function procStat(pid: number): ProcStat {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { pid, ppid: Number(rest[1]), pgrp: Number(rest[2]), session: Number(rest[3]), ttyNr: Number(rest[4]) };
}

/** The state letter of /proc/PID/stat (R, S, D, T, Z, ...), or null when the process is gone. */
export function procState(pid: number): string | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.charAt(s.lastIndexOf(')') + 2);
  } catch {
    return null;
  }
}

export function procStatus(pid: number): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

export function procFds(pid: number): Map<number, string> {
  const m = new Map<number, string>();
  for (const e of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      m.set(Number(e), fs.readlinkSync(`/proc/${pid}/fd/${e}`));
    } catch {
      /* closed meanwhile */
    }
  }
  return m;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers kill(0); it is not running.
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Polls `test` until it holds; `what` names it in the timeout error (a function: read at the timeout, e.g. output so far). */
export async function waitFor(test: () => boolean, timeoutMs = 5_000, what: string | (() => string) = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Every process's parent and state, in one pass over /proc (man 5 proc: stat fields 3 and 4).
function parents(): { pid: number; ppid: number; state: string }[] {
  const out: { pid: number; ppid: number; state: string }[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const pid = Number(e);
      out.push({ pid, ppid: procStat(pid).ppid, state: procState(pid) ?? 'X' });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Processes whose parent is `pid`, with their state (Z: a zombie nobody reaped). */
export function childrenOf(pid: number): { pid: number; state: string }[] {
  return parents()
    .filter((p) => p.ppid === pid)
    .map(({ pid: child, state }) => ({ pid: child, state }));
}

/** Every descendant of `roots` (children, theirs, ...): read before any is killed, so none escapes to init. */
export function descendantsOf(roots: number[]): number[] {
  const all = parents();
  const found: number[] = [];
  let level = new Set(roots);
  while (level.size) {
    const next = all.filter((p) => level.has(p.ppid) && !found.includes(p.pid) && !roots.includes(p.pid)).map((p) => p.pid);
    found.push(...next);
    level = new Set(next);
  }
  return found;
}

// `flock -n FILE true`: 0 when nobody holds the lock, 1 when someone does.
export function flockFree(file: string): boolean {
  return spawnSync('flock', ['-n', file, 'true']).status === 0;
}

// Pids of live processes whose command line contains `token`.
export function pidsWith(token: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (cmd.includes(token) && alive(Number(e))) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

export function sh(cmd: string): string {
  return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
}

// Finding the processes of a `start` while it runs, to kill -9 one of them at a
// chosen moment: the starter (the CLI), the intermediate child (alive for a
// few milliseconds between the two forks) and the daemon-to-be.
import * as fs from 'node:fs';
import { alive, pidsWith, procStat, procState } from './proc';

/** Children of `pid`'s main thread (the thread that forks), from /proc. */
export function mainThreadChildren(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** kill -9 if the process is still running (not gone, not a zombie): true if the signal landed. */
export function kill9(pid: number): boolean {
  const st = procState(pid);
  if (st === null || st === 'Z' || st === 'X') return false;
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

/**
 * The intermediate child lives only between the starter's fork and its own
 * _exit, a few milliseconds: spin on /proc (no timers, they are too coarse)
 * until it shows up, wait `spinUs` more, and kill it. Returns whether it landed.
 */
export function killIntermediate(starter: number, spinUs: number, deadlineMs: number): boolean {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const kids = mainThreadChildren(starter);
    if (kids.length) {
      const t0 = process.hrtime.bigint();
      while (Number(process.hrtime.bigint() - t0) / 1000 < spinUs);
      return kill9(kids[0]!);
    }
    if (!alive(starter)) return false;
  }
  return false;
}

/** The daemon-to-be of a start tagged `tag`: neither the starter nor its direct child. */
export function daemonOf(tag: string, starter: number): number | null {
  for (const pid of pidsWith(tag)) {
    if (pid === starter) continue;
    try {
      if (procStat(pid).ppid === starter) continue;
    } catch {
      continue;
    }
    return pid;
  }
  return null;
}

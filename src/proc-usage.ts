// What /proc says about a process, as `taskdaemon list` shows it: its age,
// resident memory, CPU time, owner and command line. Works for any process,
// a program without taskdaemon's runtime included.
// See: man 5 proc (/proc/PID/stat fields 14, 15, 22; /proc/PID/status VmRSS, Uid; /proc/uptime)
import * as fs from 'node:fs';
import { statFields } from './proc-state';

// /proc/PID/stat counts in clock ticks of USER_HZ, which the kernel fixes at
// 100 for what it shows user space on every architecture Linux has today.
const TICKS_PER_SECOND = 100;

export interface ProcUsage {
  /** utime + stime, in seconds. */
  cpuSeconds: number;
  /** Seconds since the process started. */
  ageSeconds: number;
  rssBytes: number | null;
  uid: number | null;
}


function systemUptime(): number {
  return Number(fs.readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
}

/** null when the process is gone. */
export function procUsage(pid: number): ProcUsage | null {
  const f = statFields(pid);
  if (!f) return null;
  const ticks = (i: number): number => Number(f[i - 3]);
  const cpuSeconds = (ticks(14) + ticks(15)) / TICKS_PER_SECOND;
  const ageSeconds = Math.max(0, systemUptime() - ticks(22) / TICKS_PER_SECOND);
  let rssBytes: number | null = null;
  let uid: number | null = null;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
    const rss = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    if (rss) rssBytes = Number(rss[1]) * 1024;
    const u = /^Uid:\s+(\d+)/m.exec(status);
    if (u) uid = Number(u[1]);
  } catch {
    /* gone meanwhile */
  }
  return { cpuSeconds, ageSeconds, rssBytes, uid };
}

/** The command line the process was exec'd with (argv), or null. */
export function procCmdline(pid: number): string[] | null {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw ? raw.replace(/\0$/, '').split('\0') : null;
  } catch {
    return null;
  }
}

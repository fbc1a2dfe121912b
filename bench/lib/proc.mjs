// Facts about processes the bench started: their memory, whether they still
// run, the fixture's readiness stamps, and the list of pids to clean up.
import fs from 'node:fs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** 'run' | 'zombie' | 'gone': a zombie has exited but still passes kill(pid, 0). */
export function procState(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] === 'Z' ? 'zombie' : 'run';
  } catch {
    return 'gone';
  }
}

/**
 * VmRSS (/proc/PID/status) and private memory (Private_Clean + Private_Dirty
 * from /proc/PID/smaps_rollup) and anonymous memory, in MB. RSS also counts
 * the node binary's clean pages; "private" counts them too when no other
 * process maps that binary (a node installed from npm), anonymous never does.
 */
export function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (text, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kb(status, 'VmRSS') / 1024, priv: (kb(rollup, 'Private_Clean') + kb(rollup, 'Private_Dirty')) / 1024, anon: kb(rollup, 'Anonymous') / 1024 };
}

/** Polls for the fixture's stamp file (written once it listens); resolves its content. */
export async function waitStamp(file, deadlineMs = 15_000, alive = () => true) {
  const t0 = Date.now();
  for (;;) {
    try {
      const text = fs.readFileSync(file, 'utf8');
      if (text) return JSON.parse(text);
    } catch (e) {
      if (e.code !== 'ENOENT' && !(e instanceof SyntaxError)) throw e;
    }
    if (!alive()) throw new Error(`no stamp ${file}: the app exited before it listened`);
    if (Date.now() - t0 > deadlineMs) throw new Error(`no stamp ${file} within ${deadlineMs} ms`);
    await sleep(2);
  }
}

/** Polls until pid has exited (zombie or gone). */
export async function waitGone(pid, deadlineMs = 40_000) {
  const t0 = Date.now();
  while (procState(pid) === 'run') {
    if (Date.now() - t0 > deadlineMs) throw new Error(`pid ${pid} did not exit within ${deadlineMs} ms`);
    await sleep(5);
  }
}

export function readPid(file) {
  const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
  if (!(pid > 0)) throw new Error(`no pid in ${file}`);
  return pid;
}

/** Field 22 of /proc/PID/stat: when the process started, so a reused pid is not mistaken for ours. */
function startTime(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return null;
  }
}

/** Every app pid the bench saw, so the end (or a failure) can kill what is left of them, and only them. */
export class PidTracker {
  constructor() {
    this.pids = new Map();
  }

  add(pid) {
    const started = pid > 0 ? startTime(pid) : null;
    if (started) this.pids.set(pid, started);
    return pid;
  }

  /** SIGKILLs each tracked process still running; returns the pids it killed. */
  killLeftovers() {
    const killed = [];
    for (const [pid, started] of this.pids) {
      if (procState(pid) !== 'run' || startTime(pid) !== started) continue;
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {}
    }
    return killed;
  }
}

// Added to every taskdaemon start of the fixture: the daemon's environment is
// otherwise clean, and BENCH_TASKDAEMON (set to the checkout being measured)
// must reach it, so the fixture's require of the library names the copy its
// runtime already holds. Without it a baseline's daemon loaded the measured
// tree's library as a second copy, and its start and memory rows paid for that.
export const PASS_LIBRARY = ['--pass-env', 'BENCH_TASKDAEMON'];

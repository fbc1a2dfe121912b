// What a test run left running. Every process a test starts carries the run's
// id: in its environment (TD_TEST_RUN, inherited from the workers) or, for a
// daemon, whose environment taskdaemon cleans, in its sandbox tag on its
// command line. Read from /proc at the end of the run (global-setup.ts).
import * as fs from 'node:fs';
import { procStat, procState } from './proc';

// This process and its ancestors (vitest, npm, the shell) carry the id too.
function selfAndAncestors(): Set<number> {
  const out = new Set<number>();
  for (let pid = process.pid; pid > 1 && !out.has(pid); ) {
    out.add(pid);
    try {
      pid = procStat(pid).ppid;
    } catch {
      break;
    }
  }
  return out;
}

/** Live (not zombie) processes of run `run`, other than this one and its ancestors, with their command lines. */
export function leftovers(run: string): { pid: number; cmd: string }[] {
  const skip = selfAndAncestors();
  const out: { pid: number; cmd: string }[] = [];
  for (const e of fs.readdirSync('/proc')) {
    const pid = Number(e);
    if (!/^\d+$/.test(e) || skip.has(pid)) continue;
    try {
      if (/^[ZX]?$/.test(procState(pid) ?? '')) continue;
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ').trim();
      // vitest's own workers may still be on their way out when the teardown runs (slowly, under test:asan).
      if (procStat(pid).ppid === process.pid && cmd.includes('/vitest/dist/workers/')) continue;
      const env = fs.readFileSync(`/proc/${e}/environ`, 'utf8');
      if (cmd.includes(`-run${run}`) || env.split('\0').includes(`TD_TEST_RUN=${run}`)) out.push({ pid, cmd });
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

// Failure-mode suite, item 5: faults of the machine. The log on a full file
// system (a 1 MiB tmpfs): the daemon keeps running, reports the bytes it could
// not write, and says so in the log once space returns. A read-only pid
// directory, and an exec failure (the node binary gone, not executable, not a
// program): one line, the right exit code, nothing left behind.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, td, type CliResult } from '../helpers/cli';
import { alive, pidsWith, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';
import { count, figure } from '../helpers/stress';
import { tmpfs, type Mount } from '../helpers/tmpfs';
import { contractBreach } from '../helpers/verdict';

const CHATTY = path.join(FIXTURES, 'chatty.js');
const PROBE = path.join(FIXTURES, 'probe.js');
const BREAK_NODE = path.join(FIXTURES, 'break-node.js');

let sb: Sandbox | undefined;
const mounts: Mount[] = [];
afterEach(async () => {
  // The daemon first (it has files open in the mounts), then the mounts, then the directory.
  for (const pid of sb ? pidsWith(sb.tag) : []) process.kill(pid, 'SIGKILL');
  if (sb) await waitFor(() => pidsWith(sb!.tag).length === 0, 10_000, 'the daemon to die');
  for (const m of mounts.splice(0)) m.unmount();
  await sb?.cleanup();
  sb = undefined;
});

interface DaemonReport {
  daemon?: { pid: number; log: { bytes: number; writes: number; lastError: string | null } };
}

async function statusJson(s: Sandbox): Promise<{ r: CliResult; report: DaemonReport }> {
  const r = await td(['status', '--pidfile', s.pidfile, '--json']);
  return { r, report: JSON.parse(r.stdout || '{}') as DaemonReport };
}

// Left behind by a failed start: a process, the pidfile, its socket, a log it created.
function leftovers(s: Sandbox, pidfile: string, log: string, logExisted: boolean): string[] {
  const out: string[] = [];
  if (pidsWith(s.tag).length) out.push(`processes ${pidsWith(s.tag).join(', ')}`);
  if (fs.existsSync(pidfile)) out.push(`pidfile ${pidfile}`);
  if (fs.existsSync(pidfile.replace(/\.pid$/, '.sock'))) out.push('control socket');
  if (!logExisted && fs.existsSync(log)) out.push(`log ${log} (${fs.statSync(log).size} bytes)`);
  return out;
}

describe('faults', () => {
  const FULL_DISK_TRIALS = count(1, 5);
  it(`the log on a full file system: the daemon keeps running and reports what it could not write (${FULL_DISK_TRIALS}x)`, { timeout: count(120_000, 1_200_000) }, async () => {
    let kept = 0;
    let lostTotal = 0;
    for (let trial = 0; trial < FULL_DISK_TRIALS; trial++) {
      sb = sandbox('full');
      const m = tmpfs(path.join(sb.dir, 'full'), 'size=1m,mode=0755');
      mounts.push(m);
      // Room for a few lines only: the daemon fills the rest within a second.
      const filler = path.join(m.dir, 'filler');
      fs.writeFileSync(filler, Buffer.alloc(1024 * 1024 - 48 * 1024));
      const log = path.join(m.dir, 'd.log');
      const up = await td(['start', CHATTY, '--name', sb.name, '--pidfile', sb.pidfile, '--stdout', log, '--no-state-file', '--', sb.tag, '--line-bytes=200', '--every=5']);
      expect(up.stderr).toBe('');
      expect(up.code).toBe(0);
      const pid = sb.readPid()!;

      // The disk fills; the daemon must live on and count what it lost.
      let report: DaemonReport = {};
      await waitFor(() => fs.statfsSync(m.dir).bavail === 0, 30_000, 'the tmpfs to fill up');
      for (let i = 0; i < 50 && !(report.daemon?.log.bytes ?? 0); i++) report = (await statusJson(sb)).report;
      expect(report.daemon?.log).toMatchObject({ lastError: 'ENOSPC' });
      expect(report.daemon!.log.bytes).toBeGreaterThan(0);
      const text = await td(['status', '--pidfile', sb.pidfile]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/\n {2}log: \d+ bytes in \d+ writes could not be written \(ENOSPC\)\n/);
      // Still working, not only alive: its timer keeps counting lines.
      const h1 = await td(['health', '--pidfile', sb.pidfile, '--json']);
      const h2 = await td(['health', '--pidfile', sb.pidfile, '--json']);
      expect(h1.code).toBe(0);
      const lines = (h: CliResult): number => (JSON.parse(h.stdout) as { detail: { lines: number } }).detail.lines;
      expect(lines(h2)).toBeGreaterThan(lines(h1));

      // Space returns: one line says how much is missing, and the output goes on after it.
      fs.unlinkSync(filler);
      const notice = /^\S+ warn \d+ log-lost (\d+) bytes in (\d+) writes could not be written \(ENOSPC\) since \S+$/m;
      await waitFor(() => notice.test(fs.readFileSync(log, 'latin1')), 30_000, 'the log-lost line');
      const after = fs.readFileSync(log, 'latin1');
      const lost = Number(notice.exec(after)![1]);
      expect(lost).toBeGreaterThan(0);
      await waitFor(() => /^line \d+ x+$/m.test(fs.readFileSync(log, 'latin1').slice(after.indexOf('log-lost'))), 10_000, 'output after the notice');
      expect(alive(pid)).toBe(true);
      expect(sb.readPid()).toBe(pid);
      const stop = await td(['stop', '--pidfile', sb.pidfile]);
      expect(stop.code).toBe(0);
      kept++;
      lostTotal += lost;
      m.unmount();
      await sb.cleanup();
      sb = undefined;
    }
    figure({
      item: '5 faults: log on a full file system',
      tried: 'a console.log-ing daemon (420 KB/s) logging to a 1 MiB tmpfs that fills up, then frees',
      times: FULL_DISK_TRIALS,
      held: `daemon kept running, status reported the lost bytes, one log-lost line once space returned: ${kept}/${FULL_DISK_TRIALS} (${lostTotal} bytes reported lost at the first notice, summed)`,
    });
  });

  const RO_TRIALS = count(1, 10);
  it(`a read-only pid directory: one line, exit 4, nothing left (${RO_TRIALS}x)`, { timeout: count(60_000, 600_000) }, async () => {
    let held = 0;
    const problems: string[] = [];
    for (let trial = 0; trial < RO_TRIALS; trial++) {
      sb = sandbox('ro');
      const m = tmpfs(path.join(sb.dir, 'run'), 'size=64k,mode=0755');
      mounts.push(m);
      // A stale pidfile from before the file system went read-only, and a fresh name.
      fs.writeFileSync(path.join(m.dir, 'stale.pid'), '99999999\n');
      m.remount('ro');
      const fresh = path.join(m.dir, 'fresh.pid');
      const stale = path.join(m.dir, 'stale.pid');
      const checks: [string, CliResult, number[]][] = [
        ['start (new pidfile)', await td(['start', PROBE, '--name', sb.name, '--pidfile', fresh, '--stdout', sb.log, '--no-state-file', '--', sb.tag]), [4]],
        ['start (stale pidfile)', await td(['start', PROBE, '--name', sb.name, '--pidfile', stale, '--stdout', sb.log, '--no-state-file', '--', sb.tag]), [4]],
        ['status (stale pidfile)', await td(['status', '--pidfile', stale]), [1]],
        ['stop (stale pidfile)', await td(['stop', '--pidfile', stale]), [1, 4]],
      ];
      let ok = true;
      for (const [what, r, codes] of checks) {
        const breach = contractBreach(r);
        const lines = (r.stdout + r.stderr).trim().split('\n');
        if (breach || !codes.includes(r.code!) || lines.length !== 1) {
          ok = false;
          problems.push(`${what}: exit ${r.code} ${breach ?? ''} ${JSON.stringify(r.stdout + r.stderr)}`);
        }
      }
      const left = leftovers(sb, fresh, sb.log, false);
      if (left.length) {
        ok = false;
        problems.push(`left behind: ${left.join(', ')}`);
      }
      if (ok) held++;
      m.unmount();
      await sb.cleanup();
      sb = undefined;
    }
    figure({
      item: '5 faults: read-only pid directory',
      tried: 'start with a new and with a stale pidfile, status and stop, in a read-only tmpfs',
      times: RO_TRIALS * 4,
      held: `one line, exit 4 for start, 1 for status, 1 or 4 for stop, nothing left: ${held * 4}/${RO_TRIALS * 4}`,
    });
    expect(problems).toEqual([]);
  });

  const EXEC_TRIALS = count(1, 5);
  const BREAKS: [string, string, number][] = [
    ['remove', 'ENOENT', 5],
    ['noexec', 'EACCES', 4],
    ['text', 'ENOEXEC', 1],
  ];
  it(`exec failure: node gone, not executable, not a program: one line, the right code, nothing left (${EXEC_TRIALS}x)`, { timeout: count(60_000, 600_000) }, async () => {
    let held = 0;
    const problems: string[] = [];
    for (let trial = 0; trial < EXEC_TRIALS; trial++) {
      for (const [how, errno, code] of BREAKS) {
        sb = sandbox('exec');
        // The CLI runs from a node of its own (a hard link, or a copy across file systems) that it breaks once running.
        const dir = path.join(sb.dir, 'bin');
        fs.mkdirSync(dir);
        const node = path.join(dir, 'node');
        try {
          fs.linkSync(process.execPath, node);
        } catch {
          fs.copyFileSync(process.execPath, node);
          fs.chmodSync(node, 0o755);
        }
        const env = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require=${BREAK_NODE}`.trim(), TD_BREAK_NODE: how, TD_BREAK_NODE_DIR: dir };
        const r = await td(['start', PROBE, ...sb.flags, '--', sb.tag], { node, env });
        const breach = contractBreach(r);
        const first = r.stderr.split('\n')[0]!;
        const left = leftovers(sb, sb.pidfile, sb.log, false);
        if (breach || r.code !== code || !first.includes(errno) || r.stdout !== '' || left.length) {
          problems.push(`${how}: exit ${r.code} (expected ${code}) ${breach ?? ''} ${JSON.stringify(r.stderr)}${left.length ? `; left behind: ${left.join(', ')}` : ''}`);
        } else held++;
        await sb.cleanup();
        sb = undefined;
      }
    }
    figure({
      item: '5 faults: exec failure',
      tried: "the daemon's execve of node fails: the binary removed (ENOENT), without x bits (EACCES), a text file (ENOEXEC)",
      times: EXEC_TRIALS * BREAKS.length,
      held: `one line naming the errno, exit 5 / 4 / 1, no process, pidfile, socket or log left: ${held}/${EXEC_TRIALS * BREAKS.length}`,
    });
    expect(problems).toEqual([]);
  });
});

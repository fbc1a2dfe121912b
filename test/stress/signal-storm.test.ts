// Failure-mode suite, item 6: signal storms. Thousands of SIGHUP and SIGUSR1
// within one second: the daemon stays alive and serving, reloads are
// coalesced (never overlapping, and the config written before the last HUP is
// the one applied), and its RSS before and after is reported. Smaller storms
// during start-up and during a slow stop must not derail either.
import * as http from 'node:http';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, writeConfig } from '../helpers/app';
import { FIXTURES, td, tdRunning } from '../helpers/cli';
import { alive, procStatus, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';
import { count, figure } from '../helpers/stress';

const PROBE = path.join(FIXTURES, 'probe.js');
const EACH = count(1_000, 10_000);

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.cleanup();
  sb = undefined;
});

function get(port: number): Promise<{ version: unknown; generation: number }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(JSON.parse(body) as { version: unknown; generation: number }));
      })
      .on('error', reject);
  });
}

const rssKb = (pid: number): number => Number(procStatus(pid).VmRSS!.replace(/\s*kB$/, ''));

/**
 * Sends `each` HUPs and `each` USR1s, alternating, spread over about `ms`
 * milliseconds; calls `beforeLast` just before the final HUP. Returns how
 * long the storm took and how many signals were sent.
 */
async function storm(pid: number, each: number, ms: number, beforeLast?: () => void): Promise<{ tookMs: number; sent: number }> {
  const total = each * 2;
  const t0 = Date.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.ceil(((Date.now() - t0 + 1) / ms) * total));
    for (; sent < due; sent++) {
      if (sent === total - 2) beforeLast?.();
      try {
        process.kill(pid, sent % 2 === 0 ? 'SIGHUP' : 'SIGUSR1');
      } catch {
        return { tookMs: Date.now() - t0, sent }; // it ended (a storm during stop)
      }
    }
    await new Promise((r) => setImmediate(r));
  }
  return { tookMs: Date.now() - t0, sent };
}

describe('signal storms', () => {
  it(`${EACH} SIGHUP and ${EACH} SIGUSR1 in about a second: alive, reloads coalesced, RSS reported`, { timeout: count(90_000, 600_000) }, async () => {
    sb = sandbox('storm');
    const s = sb;
    const { pid, port } = await startApp(s, { version: 'v0', reloadDelayMs: 20 });
    const rssBefore = rssKb(pid);
    const { tookMs, sent } = await storm(pid, EACH, 1_000, () => writeConfig(s, { version: 'final', reloadDelayMs: 20 }));
    // Quiet again: the reloads the storm asked for have all run, the last one with the final config.
    await waitFor(() => s.readLog().includes('app-reload version') && s.readLog().trimEnd().split('\n').some((l) => / -> final$/.test(l)), 60_000, 'the final config to be applied');
    type Report = { phase: string; reloadCount: number; lastReload: { ok: boolean } };
    let report: Report | undefined;
    for (let i = 0; i < 50 && report?.phase !== 'ready'; i++) {
      const st = await td(['status', '--pidfile', s.pidfile, '--json']);
      expect(st.code).toBe(0);
      report = (JSON.parse(st.stdout) as { daemon: Report }).daemon;
    }
    if (!report) throw new Error('no status report');
    const served = await get(port);
    const rssAfter = rssKb(pid);
    const statusDumps = s.readLog().split('\n').filter((l) => / info \d+ status \{/.test(l)).length;
    expect(alive(pid)).toBe(true);
    expect(report.phase).toBe('ready');
    expect(served.version).toBe('final');
    expect(report.reloadCount).toBeGreaterThanOrEqual(1);
    expect(report.reloadCount).toBeLessThan(EACH);
    expect(report.lastReload.ok).toBe(true);
    // Reloads never overlapped: every "reloading" is followed by its "reloaded" before the next.
    const events = s.readLog().split('\n').filter((l) => / (reloading|reloaded|reload-failed) /.test(l)).map((l) => (/ reloading /.test(l) ? 'start' : 'end'));
    expect(events.join(',')).toMatch(/^(start,end,?)*$/);
    const stop = await td(['stop', '--pidfile', s.pidfile]);
    expect(stop.code).toBe(0);
    figure({
      item: '6 signal storm',
      tried: `${EACH} SIGHUP + ${EACH} SIGUSR1, alternating, to a daemon with a 20 ms reload hook; the config changed just before the last HUP`,
      times: sent,
      held:
        `sent in ${tookMs} ms; alive and serving; ${EACH} HUPs coalesced into ${report.reloadCount} reloads, none overlapping, the last config applied; ` +
        `${statusDumps} USR1 status dumps (the kernel merges pending signals); RSS ${(rssBefore / 1024).toFixed(1)} MB before, ${(rssAfter / 1024).toFixed(1)} MB after`,
    });
  });

  it('storms during start-up and during a slow stop: the start still succeeds, the stop still completes', { timeout: count(90_000, 600_000) }, async () => {
    sb = sandbox('storm-edges');
    const s = sb;
    // During start-up: reloads wait for readiness (one deferred reload), the start succeeds.
    const starting = tdRunning(['start', PROBE, ...s.flags, '--', s.tag, '--init-delay=1000', '--shutdown-delay=1000']);
    await waitFor(() => s.readLog().includes('probe-init'), 20_000, 'init to begin');
    const pid = s.readPid()!;
    await storm(pid, EACH / 10, 300);
    const up = await starting.done;
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    await waitFor(() => s.readLog().includes('reloaded generation 1'), 20_000, 'the deferred reload');
    // During a slow stop: HUPs are ignored, the stop completes with exit 0.
    const stopping = tdRunning(['stop', '--pidfile', s.pidfile]);
    await waitFor(() => s.readLog().includes('stopping SIGTERM'), 20_000, 'the stop to begin');
    await storm(pid, EACH / 10, 300);
    const down = await stopping.done;
    expect(down.code).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(s.readLog()).toMatch(/stopped exit 0\n$/);
    figure({
      item: '6 signal storm',
      tried: `${EACH / 10} SIGHUP + ${EACH / 10} SIGUSR1 during start-up, and again during stop`,
      times: 2,
      held: 'the start succeeded with one deferred reload; the stop completed with exit 0',
    });
  });
});

// Failure-mode suite: supervision (DESIGN.md §8, README "Supervision").
// - Zero downtime: under a bounded loopback load (one client making
//   sequential requests, each on a new connection, and 8 keep-alive clients),
//   `restart --graceful` again and again; no request may fail (refused, reset,
//   timed out, 5xx) and every instance pid must be replaced each time.
// - Crash and restart: kill -9 of an instance, again and again; each time a
//   new instance serves, the supervisor and its pidfile stay, no zombie is left.
// Counts: count(quick, full) (test/helpers/stress.ts); the figures go to RELIABILITY.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, td } from '../helpers/cli';
import { startLoad, type LoadResult } from '../../bench/lib/http-load.cjs';
import { pidAt } from '../helpers/http';
import { freePort } from '../helpers/net';
import { alive, pidsWith, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';
import { count, figure } from '../helpers/stress';

const SERVED = path.join(FIXTURES, 'served.js');
let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

async function instancePids(): Promise<number[]> {
  const r = await td(['status', '--pidfile', sb.pidfile, '--json']);
  return (JSON.parse(r.stdout) as { daemon: { supervisor: { instances: { pid: number }[] } } }).daemon.supervisor.instances.map((i) => i.pid);
}

function zombiesOf(ppid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const s = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
        const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
        return Number(f[1]) === ppid && f[0] === 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('supervision under load', () => {
  it('restart --graceful again and again under load: no failed request, every instance replaced each time', async () => {
    sb = sandbox();
    const port = await freePort();
    const restarts = count(2, 20);
    const instances = 2;
    const r = await td(['start', SERVED, ...sb.flags, '--restart', 'on-failure', '--instances', String(instances), '--listen', `tcp:127.0.0.1:${port}`, '--', sb.tag]);
    expect(r.code).toBe(0);
    const sup = sb.readPid()!;
    let current = await instancePids();
    const load = startLoad(port, 8);
    let replacedAll = 0;
    let stopped: LoadResult | null = null;
    try {
      await waitFor(() => load.requests >= 200, 30_000, 'the load to get going');
      for (let i = 0; i < restarts; i++) {
        const g = await td(['restart', sb.name, '--pidfile', sb.pidfile, '--graceful'], { timeoutMs: 120_000 });
        expect(g.stderr).toBe('');
        expect(g.code).toBe(0);
        // "instance 1 pid OLD -> NEW, instance 2 pid OLD -> NEW"
        const pairs = [...g.stdout.matchAll(/pid (\d+) -> (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
        const olds = pairs.map(([o]) => o);
        if (pairs.length === instances && olds.every((o) => current.includes(o) && !alive(o)) && pairs.every(([o, n]) => o !== n)) replacedAll++;
        current = pairs.map(([, n]) => n);
        // Requests go on meanwhile: each switch happens under load.
        const at = load.requests;
        await waitFor(() => load.requests >= at + 50, 30_000, 'requests after the switch');
      }
    } finally {
      stopped = await load.stop();
    }
    const result = stopped;
    expect(sb.readPid()).toBe(sup);
    figure({
      item: '12 zero-downtime restart',
      tried: `restart --graceful of ${instances} instances under load (1 sequential client + 8 keep-alive clients on loopback)`,
      times: restarts,
      held: `failed requests: ${result.failed} of ${result.requests}${result.failed ? ` (${JSON.stringify(result.reasons)})` : ''}; every instance pid replaced: ${replacedAll}/${restarts}; ${result.pids.size} pids answered`,
    });
    expect(result.reasons).toEqual({});
    expect(result.failed).toBe(0);
    expect(replacedAll).toBe(restarts);
    expect(result.pids.size).toBe(instances * (restarts + 1));
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    expect(pidsWith(sb.tag)).toEqual([]);
  });

  it('kill -9 of an instance again and again: a new one serves each time, the supervisor stays, no zombie', async () => {
    sb = sandbox();
    const port = await freePort();
    const kills = count(3, 30);
    // No limit, and a delay that stops doubling early: every kill is a quick failure
    // (the backoff would otherwise reach 30 s); this is about restarting, not giving up.
    const r = await td(['start', SERVED, ...sb.flags, '--restart', 'always', '--restart-limit', 'off', '--restart-delay-max', '400ms', '--listen', `tcp:127.0.0.1:${port}`, '--', sb.tag]);
    expect(r.code).toBe(0);
    const sup = sb.readPid()!;
    let held = 0;
    for (let i = 0; i < kills; i++) {
      const victim = await pidAt(port);
      process.kill(victim, 'SIGKILL');
      let next = victim;
      await waitFor(() => !alive(victim), 10_000, 'the killed instance to end');
      // A new instance answers (connections wait in the socket's queue meanwhile).
      next = await pidAt(port);
      if (next !== victim && sb.readPid() === sup && alive(sup) && zombiesOf(sup).length === 0) held++;
    }
    figure({
      item: '12 restart after kill -9',
      tried: 'kill -9 of the instance, then a request on the held socket',
      times: kills,
      held: `a new instance answered, the supervisor and pidfile stayed, no zombie: ${held}/${kills}`,
    });
    expect(held).toBe(kills);
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    expect(pidsWith(sb.tag)).toEqual([]);
  });
});

// `taskdaemon list` over a directory of real daemons in every state it names:
// one ready, one stopped by SIGSTOP (not asked), one busy (its event loop
// blocked: asked, no answer in time), a dead pidfile and an empty one. It
// reports each, never waits for the ones that cannot answer, and exits 0.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, td } from '../helpers/cli';
import { sandbox, type Sandbox } from '../helpers/sandbox';
import { waitFor } from '../helpers/proc';

const METHODS = path.join(FIXTURES, 'methods.js');
let sb: Sandbox;
let stopped: number | null = null;
afterEach(async () => {
  if (stopped) process.kill(stopped, 'SIGCONT');
  stopped = null;
  await sb?.cleanup();
});

interface Row {
  name: string;
  pid: number | null;
  state: string;
  answered: boolean | null;
  note: string | null;
  uptimeMs: number | null;
  rssBytes: number | null;
  cpuPercent: number | null;
  restarts: number | null;
  version: string | null;
  taskdaemon: string | null;
}

async function startIn(s: Sandbox, name: string): Promise<number> {
  const r = await td(['start', METHODS, '--name', name, '--pidfile', path.join(s.dir, `${name}.pid`), '--stdout', s.log, '--no-state-file', '--', s.tag]);
  expect(r.stderr).toBe('');
  return Number(/pid (\d+)/.exec(r.stdout)![1]);
}

describe('taskdaemon list', () => {
  it('lists ready, SIGSTOPped, busy, dead and stopped daemons, asking all at once', async () => {
    sb = sandbox();
    const [readyPid, stoppedPid, busyPid] = await Promise.all([startIn(sb, 'a-ready'), startIn(sb, 'b-stopped'), startIn(sb, 'c-busy')]);
    process.kill(stoppedPid, 'SIGSTOP');
    stopped = stoppedPid;
    await waitFor(() => /^State:\s+T/m.test(fs.readFileSync(`/proc/${stoppedPid}/status`, 'utf8')), 5_000, 'SIGSTOP to take');
    // Its event loop blocked for longer than the test needs: connected, but never answered in time.
    const block = await td(['call', '--pidfile', path.join(sb.dir, 'c-busy.pid'), 'block', '{"ms":6000}', '--timeout', '0.2']);
    expect(block.code).toBe(1);
    fs.writeFileSync(path.join(sb.dir, 'd-dead.pid'), '999999\n'); // names a pid, nobody holds its lock
    fs.writeFileSync(path.join(sb.dir, 'e-empty.pid'), '');

    const r = await td(['list', '--dir', sb.dir, '--json', '--timeout', '0.5']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.map((d) => [d.name, d.state, d.pid, d.answered])).toEqual([
      ['a-ready', 'running', readyPid, true],
      ['b-stopped', 'running', stoppedPid, null],
      ['c-busy', 'running', busyPid, false],
      ['d-dead', 'dead', 999999, null],
      ['e-empty', 'stopped', null, null],
    ]);
    const [ready, stop, busy] = rows;
    expect(ready!.note).toBeNull();
    expect(ready!.rssBytes).toBeGreaterThan(1 << 20);
    expect(ready!.uptimeMs).toBeGreaterThanOrEqual(0);
    expect(ready!.version).toBe(JSON.parse(fs.readFileSync(path.join(FIXTURES, '..', '..', 'package.json'), 'utf8')).version);
    expect(ready!.taskdaemon).toBe(ready!.version);
    expect(ready!.restarts).toBeNull(); // not supervised
    expect(stop!.note).toMatch(/stopped by a signal \(SIGSTOP\): not asked/);
    expect(busy!.note).toMatch(/did not answer within 500ms \(busy\?\)/);
    expect(busy!.cpuPercent).toBeGreaterThan(0); // it spins

    // Without --json: a header and one aligned line per daemon, then the notes.
    const table = await td(['list', '--dir', sb.dir, '--timeout', '0.5']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^name\s+pid\s+state\s+uptime\s+↺\s+cpu\s+mem\s+user\s+version$/);
    expect(lines[1]).toMatch(new RegExp(`^a-ready\\s+${readyPid}\\s+running\\s+\\d+[smhD]\\s+-\\s+[\\d.]+%\\s+[\\d.]+[kmg]b\\s+\\S+\\s+${ready!.version}$`));
    expect(lines[3]).toMatch(new RegExp(`^c-busy\\s+${busyPid}\\s+running\\?`));
    expect(lines.slice(6)).toEqual([expect.stringMatching(/^b-stopped: stopped by a signal/), expect.stringMatching(/^c-busy: did not answer/)]);
  });

  it('an empty directory lists nothing; a --dir that is not a directory is exit 2', async () => {
    sb = sandbox();
    expect(await td(['list', '--dir', sb.dir, '--json'])).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(await td(['list', '--dir', sb.dir])).toMatchObject({ code: 0, stdout: `no daemons in ${sb.dir}\n` });
    const bad = await td(['list', '--dir', path.join(sb.dir, 'nope')]);
    expect([bad.code, bad.stderr]).toEqual([2, `taskdaemon: invalid --dir '${path.join(sb.dir, 'nope')}': not a directory\n`]);
  });
});

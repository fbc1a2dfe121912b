// Log ownership and rotation (issue 8, defect 7): the starter gives a new log
// to the daemon's user, `install logrotate` renders a snippet that Debian's
// real logrotate runs (create + postrotate `taskdaemon reopen-logs`), and a
// daemon that dropped to nobody goes on writing into the new file.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, isRoot, nobodyReadable, td, type CliOptions } from '../helpers/cli';
import { waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const hasLogrotate = spawnSync('logrotate', ['--version']).status === 0;
if (!hasLogrotate) console.warn('logrotate.test: rotation cases skipped, logrotate is not installed (.ci/run installs it)');

let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

const numbers = (text: string): number[] => [...text.matchAll(/^line (\d+)$/gm)].map((m) => Number(m[1]));

// The writer as root, or dropped to nobody (then from a copy nobody can read).
async function startWriter(s: Sandbox, asNobody: boolean, rate = 1000): Promise<{ pid: number; cli: CliOptions }> {
  const pkg = nobodyReadable();
  const cli: CliOptions = asNobody ? { bin: pkg.bin, node: pkg.node } : {};
  const entry = asNobody ? path.join(pkg.fixtures, 'writer.js') : path.join(FIXTURES, 'writer.js');
  const r = await td(['start', entry, ...s.flags, '--no-state-file', ...(asNobody ? ['--user', 'nobody'] : []), '--', s.tag, `--rate=${rate}`], cli);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return { pid: s.readPid()!, cli };
}

// Every number from 0 up, once, in order across the files: nothing lost, nothing twice.
function expectContinuous(older: string, newer: string): void {
  const a = numbers(older);
  const b = numbers(newer);
  expect(a.length).toBeGreaterThan(0);
  expect(b.length).toBeGreaterThan(0);
  expect(Math.max(...a)).toBeLessThan(Math.min(...b)); // the old file holds the earlier lines
  const all = [...a, ...b];
  expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i));
}

describe('who owns the log', () => {
  it.skipIf(!isRoot)('a log the starter creates for a daemon that drops to nobody is nobody\'s, 0640; the directory stays root\'s', async () => {
    sb = sandbox();
    await startWriter(sb, true);
    const st = fs.statSync(sb.log);
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([65534, 65534, 0o640]);
    expect(fs.statSync(sb.dir).uid).toBe(0);
  });

  it.skipIf(!isRoot)('an existing log keeps its owner: only a file the starter created is given away', async () => {
    sb = sandbox();
    fs.writeFileSync(sb.log, 'earlier\n', { mode: 0o600 });
    await startWriter(sb, true);
    const st = fs.statSync(sb.log);
    expect([st.uid, st.mode & 0o777]).toEqual([0, 0o600]);
  });
});

describe('taskdaemon reopen-logs', () => {
  it.skipIf(!isRoot)('after `mv log log.1`, creates the new log for a daemon that dropped root and waits until it writes there', async () => {
    sb = sandbox();
    await startWriter(sb, true);
    await waitFor(() => numbers(sb.readLog()).length > 50, 10_000, 'lines in the log');
    fs.renameSync(sb.log, sb.log + '.1');
    const r = await td(['reopen-logs', '--pidfile', sb.pidfile, '--stdout', sb.log]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${sb.name} \\(pid \\d+\\) reopened ${sb.log} \\(created ${sb.log} for it\\)\\n$`));
    const st = fs.statSync(sb.log);
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([65534, 65534, 0o640]);
    await waitFor(() => numbers(sb.readLog()).length > 50, 10_000, 'lines in the new log');
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    expectContinuous(fs.readFileSync(sb.log + '.1', 'utf8'), sb.readLog());
  });

  it('without --stdout, the log the running daemon was started with (not the name\'s default)', async () => {
    sb = sandbox();
    await startWriter(sb, false);
    await waitFor(() => numbers(sb.readLog()).length > 50, 10_000, 'lines in the log');
    fs.renameSync(sb.log, sb.log + '.1');
    const r = await td(['reopen-logs', '--pidfile', sb.pidfile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${sb.name} \\(pid \\d+\\) reopened ${sb.log} \\(created ${sb.log} for it\\)\\n$`));
    await waitFor(() => numbers(sb.readLog()).length > 50, 10_000, 'lines in the new log');
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    expectContinuous(fs.readFileSync(sb.log + '.1', 'utf8'), sb.readLog());
  });

  it('a daemon that is not running: exit 7, or 0 with --oknodo', async () => {
    sb = sandbox();
    const r = await td(['reopen-logs', '--pidfile', sb.pidfile, '--stdout', sb.log]);
    expect([r.code, r.stderr]).toEqual([7, `taskdaemon: ${sb.name} is not running\n`]);
    const ok = await td(['reopen-logs', '--pidfile', sb.pidfile, '--stdout', sb.log, '--oknodo']);
    expect([ok.code, ok.stdout]).toEqual([0, `${sb.name} is not running; nothing to reopen\n`]);
    expect(fs.existsSync(sb.log)).toBe(false);
  });
});

describe('install logrotate, run by the real logrotate', () => {
  for (const asNobody of [false, true]) {
    const who = asNobody ? 'a daemon dropped to nobody' : 'a root daemon';
    it.skipIf(!hasLogrotate || (asNobody && !isRoot))(`logrotate -f rotates ${who}: the old file holds the earlier lines, the daemon writes into the new one`, async () => {
      sb = sandbox();
      const { cli } = await startWriter(sb, asNobody);
      await waitFor(() => numbers(sb.readLog()).length > 50, 10_000, 'lines in the log');

      const rendered = await td(['install', 'logrotate', sb.name, '--stdout', sb.log, '--pidfile', sb.pidfile, ...(asNobody ? ['--user', 'nobody'] : [])], cli);
      expect(rendered.code).toBe(0);
      const owner = asNobody ? 'nobody nogroup' : 'root root';
      expect(rendered.stdout).toContain(`\n${sb.log} {\n`);
      expect(rendered.stdout).toContain(`\tcreate 0640 ${owner}\n`);
      expect(rendered.stdout).not.toContain('\tsu '); // the sandbox is root's 0755: root may work there
      const conf = path.join(sb.dir, 'logrotate.conf');
      fs.writeFileSync(conf, rendered.stdout, { mode: 0o644 });

      const rotated = spawnSync('logrotate', ['-f', '-s', path.join(sb.dir, 'logrotate.state'), conf], { encoding: 'utf8', timeout: 30_000 });
      expect(rotated.stderr).toBe('');
      expect(rotated.status).toBe(0);
      // delaycompress: the first rotation leaves log.1 as it is.
      expect(fs.existsSync(sb.log + '.1')).toBe(true);
      const st = fs.statSync(sb.log);
      expect([st.uid, st.mode & 0o777]).toEqual([asNobody ? 65534 : 0, 0o640]);
      // postrotate returned only once the daemon had reopened: new lines land in the new file.
      await waitFor(() => numbers(sb.readLog()).length > 50, 10_000, 'lines in the new log');
      expect(sb.readLog()).not.toContain('log-reopen-failed');
      expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
      expectContinuous(fs.readFileSync(sb.log + '.1', 'utf8'), sb.readLog());
      expect(sb.readLog()).toMatch(/writer-done \d+/);
    });
  }

  it.skipIf(!isRoot)('a log directory the daemon\'s user can write gets `su` (logrotate acts as that user there)', async () => {
    sb = sandbox();
    const dir = path.join(sb.dir, 'logs');
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chownSync(dir, 65534, 65534);
    const r = await td(['install', 'logrotate', sb.name, '--stdout', path.join(dir, 'x.log'), '--user', 'nobody']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\tsu nobody nogroup\n');
  });

  it('a log path logrotate would read as a glob or two names is refused with one line, exit 2', async () => {
    sb = sandbox();
    const r = await td(['install', 'logrotate', sb.name, '--stdout', path.join(sb.dir, 'a b*.log')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^taskdaemon: cannot write ".*a b\*\.log" into a logrotate file/);
    expect(r.stdout).toBe('');
  });
});

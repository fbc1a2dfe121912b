// taskdaemon logs against real files: the last N lines, argument errors, and
// -f following appended lines across rotation and truncation, every line
// exactly once and in order, including a real daemon's log while it starts.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT, isRoot, td } from '../helpers/cli';
import { waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const PROBE = path.join(FIXTURES, 'probe.js');
let sb: Sandbox;
const followers: ChildProcess[] = [];
afterEach(async () => {
  for (const c of followers.splice(0)) c.kill('SIGKILL');
  await sb?.cleanup();
});

const text = (lines: string[]): string => lines.map((l) => `${l}\n`).join('');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Follower {
  out(): string;
  err(): string;
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

// `taskdaemon logs ... -f` in the background; stop() signals it and waits for its exit code.
function followLog(args: string[]): Follower {
  const child = spawn(process.execPath, [BIN, 'logs', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  followers.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    out: () => out,
    err: () => err,
    stop: (signal) => {
      child.kill(signal);
      return exited;
    },
  };
}

describe('logs: the last lines', () => {
  it('prints the last N lines of a big file, 10 by default, and all of them when N is larger', async () => {
    sb = sandbox();
    const lines = Array.from({ length: 100_000 }, (_, i) => `line ${i + 1} ${'x'.repeat(i % 50)}`);
    fs.writeFileSync(sb.log, text(lines));
    const three = await td(['logs', '--stdout', sb.log, '-n', '3']);
    expect(three.code).toBe(0);
    expect(three.stdout).toBe(text(lines.slice(-3)));
    expect((await td(['logs', '--stdout', sb.log])).stdout).toBe(text(lines.slice(-10)));
    const some = await td(['logs', '--stdout', sb.log, '--lines', '54321']);
    expect(some.stdout).toBe(text(lines.slice(-54_321)));
    const all = await td(['logs', '--stdout', sb.log, '-n', '250000']);
    expect(all.code).toBe(0);
    expect(all.stdout).toBe(text(lines));
  });

  it('-n 0 prints nothing; an empty file prints nothing', async () => {
    sb = sandbox();
    fs.writeFileSync(sb.log, 'a\nb\n');
    const r = await td(['logs', '--stdout', sb.log, '-n', '0']);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    fs.writeFileSync(sb.log, '');
    expect(await td(['logs', '--stdout', sb.log])).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('counts a last line without a newline, keeps empty lines, and prints JSON with --json', async () => {
    sb = sandbox();
    fs.writeFileSync(sb.log, 'one\n\nthree "quoted"\nvier ü €\nfive');
    expect((await td(['logs', '--stdout', sb.log, '-n', '2'])).stdout).toBe('vier ü €\nfive\n');
    expect((await td(['logs', '--stdout', sb.log, '-n', '4'])).stdout).toBe('\nthree "quoted"\nvier ü €\nfive\n');
    const j = await td(['logs', '--stdout', sb.log, '-n', '3', '--json']);
    expect(j.code).toBe(0);
    expect(j.stdout.split('\n').slice(0, -1).map((l) => JSON.parse(l) as unknown)).toEqual([
      { line: 'three "quoted"' },
      { line: 'vier ü €' },
      { line: 'five' },
    ]);
  });

  it('reads the default log of a name given as argument or --name', async () => {
    sb = sandbox();
    // Root's logs live in /var/log/taskdaemon; others' under XDG_STATE_HOME.
    const log = path.join(isRoot ? '/var/log/taskdaemon' : path.join(sb.dir, 'taskdaemon'), `${sb.name}.log`);
    fs.mkdirSync(path.dirname(log), { recursive: true });
    fs.writeFileSync(log, 'first\nsecond\n');
    try {
      const env = { XDG_STATE_HOME: sb.dir };
      expect(await td(['logs', sb.name, '-n', '1'], { env })).toMatchObject({ code: 0, stdout: 'second\n' });
      expect(await td(['logs', '--name', sb.name], { env })).toMatchObject({ code: 0, stdout: 'first\nsecond\n' });
    } finally {
      fs.rmSync(log, { force: true });
    }
  });

  it('a missing log: exit 1 and says where it looked', async () => {
    sb = sandbox();
    const r = await td(['logs', '--stdout', sb.log]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`taskdaemon: no log at ${sb.log}\n`);
  });

  it('bad arguments: exit 2', async () => {
    sb = sandbox();
    fs.writeFileSync(sb.log, 'a\n');
    for (const n of ['-1', 'abc', '1.5', '', '1e3', '99999999999999999999']) {
      const r = await td(['logs', '--stdout', sb.log, `--lines=${n}`]);
      expect(r.code, `--lines=${n}`).toBe(2);
      expect(r.stderr).toContain(`invalid --lines '${n}'`);
    }
    const none = await td(['logs']);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('taskdaemon: which daemon? give its name or --stdout\n');
    expect((await td(['logs', '../etc/passwd'])).code).toBe(2); // not a daemon name
  });
});

describe('logs -f', () => {
  it('follows appended lines across a rename rotation and a truncation, each line once and in order', async () => {
    sb = sandbox();
    fs.writeFileSync(sb.log, 'old 1\nold 2\nold 3\n');
    const f = followLog(['--stdout', sb.log, '-f', '-n', '2']);
    const expected = ['old 2', 'old 3'];
    const append = (file: string, prefix: string, count: number): void => {
      for (let i = 1; i <= count; i++) {
        fs.appendFileSync(file, `${prefix} ${i}\n`);
        expected.push(`${prefix} ${i}`);
      }
    };
    // On a timeout, show what differs.
    const caughtUp = (): Promise<void> => waitFor(() => f.out() === text(expected), 10_000).catch(() => expect(f.out()).toBe(text(expected)));
    await caughtUp();

    append(sb.log, 'a', 200);
    await caughtUp();

    // logrotate `create`: the log is renamed and an empty one made in its
    // place; the writer goes on in the old file until it reopens the path.
    fs.renameSync(sb.log, `${sb.log}.1`);
    fs.writeFileSync(sb.log, '');
    await sleep(300); // time for the follower to see the new, still empty file
    append(`${sb.log}.1`, 'b', 100);
    append(sb.log, 'c', 100);
    await caughtUp();
    expect(f.err()).toBe(`taskdaemon: ${sb.log} was replaced; following the new file\n`);

    // copytruncate: the same file shrinks to nothing and grows again.
    fs.truncateSync(sb.log, 0);
    await waitFor(() => f.err().includes('was truncated'), 10_000, 'the truncation to be noticed');
    append(sb.log, 'd', 100);
    await caughtUp();

    // A line written in two parts comes out whole.
    fs.appendFileSync(sb.log, 'written in ');
    await sleep(300);
    fs.appendFileSync(sb.log, 'two parts\n');
    expected.push('written in two parts');
    append(sb.log, 'e', 10);
    await caughtUp();

    expect(await f.stop('SIGTERM')).toBe(0);
    expect(f.out()).toBe(text(expected));
    expect(f.err()).toBe(
      `taskdaemon: ${sb.log} was replaced; following the new file\ntaskdaemon: ${sb.log} was truncated; reading from its start\n`,
    );
  });

  it('waits for a missing log, then prints it from its start; --json; SIGINT ends it with 0', async () => {
    sb = sandbox();
    const f = followLog(['--stdout', sb.log, '-f', '--json']);
    await waitFor(() => f.err().includes('waiting'), 10_000, 'the follower to start waiting');
    expect(f.err()).toBe(`taskdaemon: no log at ${sb.log} yet; waiting for it\n`);
    fs.writeFileSync(sb.log, 'hello\n"world"\n');
    await waitFor(() => f.out().split('\n').length === 3, 10_000, 'both lines');
    expect(f.out()).toBe('{"line":"hello"}\n{"line":"\\"world\\""}\n');
    // A partial last line is printed when following stops.
    fs.appendFileSync(sb.log, 'no newline');
    await sleep(300);
    expect(await f.stop('SIGINT')).toBe(0);
    expect(f.out()).toBe('{"line":"hello"}\n{"line":"\\"world\\""}\n{"line":"no newline"}\n');
  });

  it("shows a real daemon's log as it starts and stops", async () => {
    sb = sandbox();
    const f = followLog(['--stdout', sb.log, '-f']);
    await waitFor(() => f.err().includes('waiting'), 10_000, 'the follower to start waiting');
    const r = await td(['start', PROBE, ...sb.flags, '--', sb.tag]);
    expect(r.code).toBe(0);
    await waitFor(() => / ready pid \d+ after \d+ ms\n/.test(f.out()), 10_000, "the daemon's ready line");
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    await waitFor(() => f.out().includes('stopped exit 0\n'), 10_000, "the daemon's last line");
    expect(await f.stop('SIGTERM')).toBe(0);
    expect(f.out()).toBe(sb.readLog());
  });
});

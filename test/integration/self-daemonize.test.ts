// daemonize(): a program that puts itself in the background, checked from
// /proc like `start` (start-facts.test.ts): the same hardened sequence, with
// the program itself as the entry, and the CLI controls it afterwards.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, isRoot, nobodyReadable, td } from '../helpers/cli';
import { freePort } from '../helpers/net';
import { alive, flockFree, pidsWith, procFds, procStat, procStatus, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const SELF = path.join(FIXTURES, 'self.js');
let sb: Sandbox;
afterEach(async () => {
  await sb?.cleanup();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  pid: number;
  /** What the pidfile said the moment the program the user started had exited. */
  pidAtExit: number | null;
  lockedAtExit: boolean;
}

// `node program.js TAG`, as a user starts it; options through SELF_OPTIONS.
function runProgram(program: string, options: object, o: { node?: string; env?: NodeJS.ProcessEnv; extraFds?: number[] } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(o.node ?? process.execPath, [program, sb.tag], {
      env: { ...process.env, SELF_OPTIONS: JSON.stringify(options), ...o.env },
      stdio: ['ignore', 'pipe', 'pipe', ...(o.extraFds ?? [])],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const pidAtExit = sb.readPid();
      const lockedAtExit = fs.existsSync(sb.pidfile) && !flockFree(sb.pidfile);
      child.on('close', () => resolve({ code, stdout, stderr, pid: child.pid!, pidAtExit, lockedAtExit }));
    });
  });
}

const options = (s: Sandbox, more: object = {}): object => ({ name: s.name, pidfile: s.pidfile, stdout: s.log, stateFile: false, ...more });
const facts = (s: Sandbox): { pid: number; mode: string; name: string; argv: string[] } =>
  JSON.parse(/self-facts (\{.*\})/.exec(s.readLog())![1]!) as never;

describe('daemonize()', () => {
  it('detaches like start: pidfile locked before the parent exits, ppid not the parent, no session leader, no tty, stdio, nothing inherited', async () => {
    sb = sandbox();
    const leak = fs.openSync(path.join(sb.dir, 'leaked-file'), 'w');
    let r: Run;
    try {
      // A careless parent's fd without CLOEXEC, as fd 3 of the program the user starts.
      r = await runProgram(SELF, options(sb), { extraFds: [leak] });
    } finally {
      fs.closeSync(leak);
    }
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const pid = Number(/^started \S+ \(pid (\d+)\)\n$/.exec(r.stdout)?.[1]);
    // The pidfile held the daemon's pid, locked, when the process the user started exited.
    expect(r.pidAtExit).toBe(pid);
    expect(r.lockedAtExit).toBe(true);
    await waitFor(() => /self-facts/.test(sb.readLog()), 10_000, 'the program to report');
    const f = facts(sb);
    expect(f).toMatchObject({ pid, mode: 'daemon', name: sb.name, argv: [sb.tag] });
    const st = procStat(pid);
    expect(st.ppid).not.toBe(r.pid);
    expect(st.pid).not.toBe(st.session);
    expect(st.ttyNr).toBe(0);
    const fds = procFds(pid);
    expect(fds.get(0)).toBe('/dev/null');
    expect(fds.get(1)).toBe(sb.log);
    expect(fds.get(2)).toBe(sb.log);
    expect([...fds.values()]).not.toContain(path.join(sb.dir, 'leaked-file'));
    // The same node, running the program itself (no boot script), with its own arguments.
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(-2)).toEqual([SELF, sb.tag]);

    // The CLI controls it like any daemon.
    expect((await td(['status', '--pidfile', sb.pidfile])).code).toBe(0);
    expect((await td(['reload', '--pidfile', sb.pidfile])).code).toBe(0);
    expect((await td(['stop', '--pidfile', sb.pidfile])).code).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });

  it.skipIf(!isRoot)('drops privileges with no way back', async () => {
    sb = sandbox();
    const pkg = nobodyReadable();
    const r = await runProgram(path.join(pkg.fixtures, 'self.js'), options(sb, { user: 'nobody', group: 'nogroup' }), { node: pkg.node });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = procStatus(sb.readPid()!);
    expect(s.Uid!.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
    expect(s.Gid!.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
    expect(s.Groups!.split(/\s+/).filter(Boolean)).toEqual(['65534']);
    expect(s.CapEff).toBe('0000000000000000');
    expect(fs.statSync(sb.pidfile).uid).toBe(0);
  });

  it('an ES module is ready when it says so, and serves as the daemon', async () => {
    sb = sandbox();
    const port = await freePort();
    const r = await runProgram(path.join(FIXTURES, 'self.mjs'), options(sb, { passEnv: ['SELF_PORT'] }), { env: { SELF_PORT: String(port) } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Ready means listening: the first request after the parent exited is answered.
    const body = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { pid: number; ppid: number };
    expect(body.pid).toBe(sb.readPid());
    expect(body.ppid).not.toBe(r.pid);
  });

  for (const [how, expected] of [
    ['throw', /^taskdaemon: daemon exited with code 1 before it was ready\n[\s\S]*cannot open the queue/],
    ['exit3', /^taskdaemon: daemon exited with code 3 before it was ready\n/],
  ] as const) {
    it(`a program that fails before readiness (${how}): the parent says so, exits non-zero, leaves nothing`, async () => {
      sb = sandbox();
      const r = await runProgram(SELF, options(sb, { passEnv: ['SELF_FAIL'], autoReady: false }), { env: { SELF_FAIL: how } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(expected);
      await waitFor(() => pidsWith(sb.tag).length === 0, 10_000, 'no process left');
      expect(fs.existsSync(sb.pidfile)).toBe(false);
    });
  }

  it('bad options fail in the parent, before any fork, with the CLI\'s words and codes', async () => {
    sb = sandbox();
    const badUmask = await runProgram(SELF, options(sb, { umask: '999' }));
    expect(badUmask.code).toBe(2);
    expect(badUmask.stderr.split('\n')[0]).toBe("taskdaemon: invalid umask '999': expected an octal mode from 000 to 777");
    const missingDir = await runProgram(SELF, options(sb, { stdout: path.join(sb.dir, 'nope', 'x.log') }));
    expect(missingDir.code).toBe(2);
    const cfg = path.join(sb.dir, 'bad.toml');
    fs.writeFileSync(cfg, 'umaks = "027"\n');
    const badConfig = await runProgram(SELF, options(sb, { config: cfg }));
    expect(badConfig.code).toBe(6);
    expect(badConfig.stderr).toContain("unknown key 'umaks' (did you mean 'umask'?)");
    expect(pidsWith(sb.tag)).toEqual([]);
    expect(fs.existsSync(sb.pidfile)).toBe(false);
  });

  it('foreground: true (and TASKDAEMON_FOREGROUND=1) keeps the process, with its pidfile and control socket', async () => {
    sb = sandbox();
    for (const o of [{ options: options(sb, { foreground: true }), env: {} }, { options: options(sb), env: { TASKDAEMON_FOREGROUND: '1' } }]) {
      const child = spawn(process.execPath, [SELF, sb.tag], { env: { ...process.env, SELF_OPTIONS: JSON.stringify(o.options), ...o.env }, stdio: 'ignore' });
      try {
        await waitFor(() => sb.readPid() === child.pid && /self-facts/.test(sb.readLog()), 10_000, 'the program in the foreground');
        expect(facts(sb)).toMatchObject({ pid: child.pid, mode: 'foreground' });
        expect(flockFree(sb.pidfile)).toBe(false);
        const st = await td(['status', '--pidfile', sb.pidfile, '--json']);
        expect(JSON.parse(st.stdout)).toMatchObject({ state: 'running', pid: child.pid, daemon: { phase: 'ready', mode: 'foreground' } });
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.on('close', r));
      }
      expect(fs.existsSync(sb.pidfile)).toBe(false);
      fs.rmSync(sb.log, { force: true });
    }
  });
});

// The defects a new user hit (issue "Fail safe"), one test each, against real
// daemons: every one of these failed before its fix.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { APP, startApp, writeConfig } from '../helpers/app';
import { FIXTURES, nobodyReadable, ROOT, td, type CliResult } from '../helpers/cli';
import { alive, pidsWith, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const PROBE = path.join(FIXTURES, 'probe.js');
const sandboxes: Sandbox[] = [];
afterEach(async () => {
  for (const s of sandboxes.splice(0)) await s.cleanup();
});
const box = (prefix?: string): Sandbox => {
  const s = sandbox(prefix);
  sandboxes.push(s);
  return s;
};

// Nothing of this sandbox's daemon may be alive, and its pidfile holds no pid.
async function nothingLeft(s: Sandbox): Promise<void> {
  await waitFor(() => pidsWith(s.tag).length === 0, 10_000, 'no process of the failed start');
  expect(s.readPid()).toBe(null);
}

describe('a failed start leaves no process and says what is true', () => {
  it('a ready timeout shorter than any start stops the daemon it forked, every time', async () => {
    const s = box();
    for (let i = 0; i < 4; i++) {
      const r = await td(['start', PROBE, ...s.flags, '--ready-timeout', '0.001', '--', s.tag]);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')[0]).toMatch(/^taskdaemon: daemon was not ready within 1ms; (stopped it|it) \(pid \d+\)/);
      await nothingLeft(s);
    }
  });

  it('Ctrl-C at any moment of a start leaves nothing running', async () => {
    const s = box();
    for (const delayMs of [0, 20, 40, 80, 120, 160]) {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'taskdaemon.js'), 'start', PROBE, ...s.flags, '--', s.tag], { stdio: 'ignore' });
      // The delay is what this test varies: the signal lands at a different moment of the start each time.
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      expect(code === 1 || code === null || code === 0).toBe(true);
      if (code === 0) {
        // It was ready before the signal: a complete start, so stop it for the next round.
        expect((await td(['stop', '--pidfile', s.pidfile])).code).toBe(0);
      }
      await nothingLeft(s);
    }
  });

  it('a daemon that dies before readiness: start says how (exit code, or signal)', async () => {
    const s = box();
    const entry = path.join(s.dir, 'dies.js');
    fs.writeFileSync(entry, `process.kill(process.pid, 'SIGKILL');\n`);
    const r = await td(['start', entry, ...s.flags, '--', s.tag]);
    expect(r.code).toBe(1);
    // init here reaps at once or after a while: the zombie's status is read while it lasts, else the words say so.
    expect(r.stderr.split('\n')[0]).toMatch(/^taskdaemon: daemon (was killed by SIGKILL|ended without a word .*) before it was ready$/);
    await nothingLeft(s);
  });
});

describe('durations are range-checked wherever they come from', () => {
  const bad = async (s: Sandbox, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> => {
    const r = await td(args, { env });
    expect(r.stderr).not.toMatch(/TimeoutOverflowWarning|within 0s/);
    expect(s.readPid()).toBe(null);
    return r;
  };

  it('past what a timer holds: exit 2 for a flag, 6 for the file or environment', async () => {
    const s = box();
    for (const flag of ['--ready-timeout', '--grace']) {
      const r = await bad(s, ['start', PROBE, ...s.flags, flag, '3000000', '--', s.tag]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`invalid ${flag} '3000000': longer than a timer can hold`);
    }
    expect((await bad(s, ['start', PROBE, ...s.flags, '--', s.tag], { TASKDAEMON_GRACE: '3000000' })).code).toBe(6);
    const cfg = path.join(s.dir, 'c.toml');
    fs.writeFileSync(cfg, 'ready_timeout = "50000m"\n');
    const fromFile = await bad(s, ['start', PROBE, ...s.flags, '--config', cfg, '--', s.tag]);
    expect(fromFile.code).toBe(6);
    expect(fromFile.stderr).toContain(cfg);
    expect((await td(['stop', '--pidfile', s.pidfile, '--timeout', '3000000'])).code).toBe(2);
    expect((await td(['stop', '--pidfile', s.pidfile, '--retry', 'TERM/3000000/KILL/5'])).code).toBe(2);
    expect((await td(['reload', '--pidfile', s.pidfile, '--timeout', '3000000'])).code).toBe(2);
  });

  it('shorter than a millisecond is refused, not shown as "within 0s"', async () => {
    const s = box();
    const r = await bad(s, ['start', PROBE, ...s.flags, '--ready-timeout', '0.0001', '--', s.tag]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("invalid --ready-timeout '0.0001': shorter than the 1 ms a timer can measure");
  });
});

describe('--user "" and --group "" never mean root', () => {
  for (const flag of ['--user', '--group']) {
    it(`${flag} "" is exit 2, wherever it comes from, and starts nothing`, async () => {
      const s = box();
      const r = await td(['start', PROBE, ...s.flags, flag, '', '--', s.tag]);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(`taskdaemon: invalid ${flag} '': a ${flag === '--user' ? 'user' : 'group'} name or ${flag === '--user' ? 'uid' : 'gid'} is required`);
      const env = flag === '--user' ? { TASKDAEMON_USER: '' } : { TASKDAEMON_GROUP: '' };
      expect((await td(['start', PROBE, ...s.flags, '--', s.tag], { env })).code).toBe(6);
      expect(pidsWith(s.tag)).toEqual([]);
      expect(fs.existsSync(s.pidfile)).toBe(false);
    });
  }
});

describe('reload is observed without the health hook', () => {
  it('a slow health hook and a throwing reload hook: reload says rejected, exit 1', async () => {
    const s = box();
    await startApp(s, { version: 1, healthDelayMs: 8_000 });
    writeConfig(s, { version: 2, healthDelayMs: 8_000, failReload: true });
    const r = await td(['reload', '--pidfile', s.pidfile, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, generation: 1, error: 'reload hook refused version 2' });
  });

  it('DaemonManager.reload uses the same protocol: a result, never {deferred}', async () => {
    const s = box();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lib = require(path.join(ROOT, 'dist', 'index.js')) as typeof import('../../src/index');
    const config = writeConfig(s, { version: 1 });
    const m = new lib.DaemonManager({ entry: APP, name: s.name, pidfile: s.pidfile, stdout: s.log, stateFile: false, args: [s.tag, `--config=${config}`, '--init-delay=300'] });
    const starting = m.start();
    await waitFor(() => s.readPid() !== null, 10_000, 'the daemon to exist');
    // Asked while it is still starting: the reload runs right after readiness, and its result comes back.
    const result = await m.reload(20_000);
    expect(result).toMatchObject({ generation: 1, ok: true });
    await starting;
    await m.stop();
  });
});

// A daemon whose control socket answers nonsense: the lock still decides status.
async function withFakeSocket(s: Sandbox, reply: (sock: net.Socket) => void, check: () => Promise<void>): Promise<void> {
  await startApp(s, { version: 1 });
  const sockPath = s.pidfile.replace(/\.pid$/, '.sock');
  fs.unlinkSync(sockPath);
  const fake = net.createServer((sock) => {
    sock.on('error', () => {}); // the client hangs up on nonsense: that is the point
    sock.once('data', () => reply(sock));
  });
  await new Promise<void>((r) => fake.listen(sockPath, r));
  try {
    await check();
  } finally {
    await new Promise((r) => fake.close(r));
  }
}

describe('a control socket that answers garbage', () => {
  const replies: [string, (sock: net.Socket) => void][] = [
    ['not JSON', (sock) => sock.end('this is not json\n')],
    ['JSON that is not JSON-RPC', (sock) => sock.end('[1,2,3]\n')],
    ['a truncated line', (sock) => sock.end('{"jsonrpc":"2.0","id":1,"res')],
    ['a flood without a line end', (sock) => sock.end(Buffer.alloc(2 * 1024 * 1024, 'x'))],
  ];
  for (const [what, reply] of replies) {
    it(`${what}: status is still 0 from the lock, health fails with a clear line`, async () => {
      const s = box();
      await withFakeSocket(s, reply, async () => {
        const st = await td(['status', '--pidfile', s.pidfile, '--name', s.name]);
        expect(st.code).toBe(0);
        expect(st.stdout).toContain(`${s.name} is running (pid ${s.readPid()})`);
        expect(st.stderr).toMatch(/^taskdaemon: warning: no report from \S+: .*(answered 'status' with|closed in the middle)/);
        const h = await td(['health', '--pidfile', s.pidfile, '--name', s.name]);
        expect(h.code).toBe(1);
        expect(h.stderr.split('\n').length).toBeLessThanOrEqual(3);
        expect(h.stderr).not.toMatch(/SyntaxError|    at /);
      });
    });
  }
});

describe('a daemon stopped by SIGSTOP', () => {
  it('status says so (still 0: it holds its lock), health and reload say so at once', async () => {
    const s = box();
    const { pid } = await startApp(s, { version: 1 });
    process.kill(pid, 'SIGSTOP');
    try {
      await waitFor(() => /^State:\s+T/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')), 5_000, 'the stop');
      const st = await td(['status', '--pidfile', s.pidfile]);
      expect(st.code).toBe(0);
      expect(st.stdout).toContain('stopped by a signal');
      const h = await td(['health', '--pidfile', s.pidfile]);
      expect(h.code).toBe(1);
      expect(h.stdout).toContain('is stopped by a signal');
      const r = await td(['reload', '--pidfile', s.pidfile]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('stopped by a signal (SIGSTOP)');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });
});

describe('stop and status find the daemon when its config file has a typo', () => {
  it('they warn about the file and answer with LSB codes', async () => {
    const s = box();
    const cfg = path.join(s.dir, 'app.toml');
    const good = `entry = "${PROBE}"\nname = "${s.name}"\npidfile = "${s.pidfile}"\nstdout = "${s.log}"\nstate_file = false\nargs = ["${s.tag}"]\n`;
    fs.writeFileSync(cfg, good);
    expect((await td(['start', '--config', cfg])).code).toBe(0);
    fs.writeFileSync(cfg, good + 'umaks = "027"\n');
    const st = await td(['status', '--config', cfg]);
    expect(st.code).toBe(0);
    expect(st.stderr).toContain("unknown key 'umaks' (did you mean 'umask'?)");
    expect(st.stderr).toContain('finding the daemon by its name and pidfile');
    const stop = await td(['stop', '--config', cfg]);
    expect(stop.code).toBe(0);
    expect((await td(['status', '--config', cfg])).code).toBe(3);
  });
});

describe('start --oknodo as auto-start', () => {
  it('20 concurrent callers give one daemon, and each exits 0 only once it is ready', async () => {
    const s = box();
    const config = writeConfig(s, { version: 1 });
    const args = ['start', APP, ...s.flags, '--oknodo', '--', s.tag, `--config=${config}`, '--init-delay=1500'];
    // Each caller's end is checked against the daemon's own log at that moment: 'ready' must be there already.
    const runs = Array.from({ length: 20 }, () =>
      td(args, { timeoutMs: 30_000 }).then((r) => ({ ...r, readyLogged: / ready /.test(s.readLog()) })),
    );
    const results = await Promise.all(runs);
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.readyLogged).toBe(true);
    }
    expect(results.filter((r) => r.stdout.startsWith('started ')).length).toBe(1);
    const pid = s.readPid()!;
    expect(results.filter((r) => r.stdout === `${s.name} is already running (pid ${pid})\n`).length).toBe(19);
    expect(pidsWith(s.tag)).toEqual([pid]);
  });
});

describe('a long pidfile path', () => {
  it('gets a control socket that works, though the path is longer than sun_path', async () => {
    const s = box();
    const deep = path.join(s.dir, 'a-directory-name-of-some-length'.repeat(4));
    fs.mkdirSync(deep);
    const pidfile = path.join(deep, `${s.name}.pid`);
    expect(Buffer.byteLength(pidfile.replace(/\.pid$/, '.sock'))).toBeGreaterThan(108);
    const r = await td(['start', PROBE, '--name', s.name, '--pidfile', pidfile, '--stdout', s.log, '--state-file', s.stateFile, '--', s.tag]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const st = await td(['status', '--pidfile', pidfile, '--json']);
    expect(JSON.parse(st.stdout)).toMatchObject({ state: 'running', daemon: { phase: 'ready' } });
    expect((await td(['reload', '--pidfile', pidfile])).code).toBe(0);
    expect((await td(['stop', '--pidfile', pidfile])).code).toBe(0);
    expect(fs.readdirSync(deep)).toEqual([]);
  });
});

describe('only default directories are created, and a failed start removes what it made', () => {
  it('an explicit log path in a missing directory is an error, and creates nothing', async () => {
    const s = box();
    const missing = path.join(s.dir, 'no', 'such', 'dir');
    const r = await td(['start', PROBE, '--name', s.name, '--pidfile', s.pidfile, '--stdout', path.join(missing, 'x.log'), '--', s.tag]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`directory ${missing} does not exist`);
    expect(fs.existsSync(path.join(s.dir, 'no'))).toBe(false);
    expect(fs.existsSync(s.pidfile)).toBe(false);
  });

  it.runIf(process.geteuid?.() === 0)('a start that fails after the fork leaves no empty log and no state directory', async () => {
    const s = box();
    // The entry sits in a directory nobody may enter: the daemon fails after the drop (exit 4).
    const hidden = path.join(s.dir, 'hidden');
    fs.mkdirSync(hidden, { mode: 0o700 });
    const entry = path.join(hidden, 'app.js');
    fs.copyFileSync(PROBE, entry);
    const log = path.join(s.dir, 'fresh.log');
    const ro = nobodyReadable();
    const r = await td(['start', entry, '--name', s.name, '--pidfile', s.pidfile, '--stdout', log, '--user', 'nobody', '--', s.tag], { bin: ro.bin, node: ro.node });
    expect(r.code).toBe(4);
    expect(fs.existsSync(log)).toBe(false);
    expect(fs.existsSync(`/var/lib/taskdaemon/${s.name}`)).toBe(false);
    expect(fs.existsSync(s.pidfile)).toBe(false);
  });
});

describe('messages', () => {
  it("a program's flag before '--' gets a hint with the fixed command", async () => {
    const r = await td(['start', 'app.js', '--port', '8080']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("taskdaemon: unknown option '--port'");
    expect(r.stderr).toContain("if --port is for your program, put it after '--': taskdaemon start app.js -- --port 8080");
  });

  it('a name taken from a file like "My Server.js" hints at --name', async () => {
    const s = box();
    const entry = path.join(s.dir, 'My Server.js');
    fs.copyFileSync(PROBE, entry);
    const r = await td(['start', entry, '--pidfile', s.pidfile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the name 'My Server', taken from the entry file My Server.js, is not a valid daemon name");
    expect(r.stderr).toContain('--name my-server');
  });

  it('restart NAME restarts a running daemon with the options it was started with', async () => {
    const s = box();
    expect((await td(['start', PROBE, ...s.flags, '--nice', '3', '--', s.tag])).code).toBe(0);
    const before = s.readPid()!;
    const r = await td(['restart', s.name, '--pidfile', s.pidfile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const after = s.readPid()!;
    expect(after).not.toBe(before);
    expect(alive(before)).toBe(false);
    // Same entry, arguments and priority as the first start.
    expect(fs.readFileSync(`/proc/${after}/cmdline`, 'utf8')).toContain(s.tag);
    expect(Number(fs.readFileSync(`/proc/${after}/stat`, 'utf8').split(') ')[1]!.split(' ')[16])).toBe(3);
  });

  it('--json failures print one JSON object for start, reload and stop', async () => {
    const s = box();
    for (const args of [
      ['start', path.join(s.dir, 'missing.js'), ...s.flags, '--json'],
      ['reload', '--pidfile', s.pidfile, '--json'],
      ['stop', '--pidfile', s.pidfile, '--json'],
      ['start', '--bogus', '--json'],
    ]) {
      const r = await td(args);
      expect(r.code).not.toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const obj = JSON.parse(lines[0]!);
      expect(typeof obj).toBe('object');
    }
  });

  it('config show prints TOML that config check accepts', async () => {
    const s = box();
    const shown = await td(['config', 'show', PROBE, ...s.flags, '--nice', '5', '--env', 'A=b c', '--umask', '027', '--health-port', '8081', '--', s.tag]);
    expect(shown.code).toBe(0);
    const file = path.join(s.dir, 'shown.toml');
    fs.writeFileSync(file, shown.stdout);
    const check = await td(['config', 'check', '--config', file]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    const again = await td(['config', 'show', '--config', file, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ name: s.name, nice: 5, umask: '027', env: { A: 'b c' }, health: { port: 8081 }, args: [s.tag] });
  });
});

describe('a clean stop is not an error', () => {
  it.runIf(process.geteuid?.() === 0)('run() awaiting timers/promises with ctx.signal ends quietly on stop', async () => {
    const s = box();
    const entry = path.join(s.dir, 'sleeper.js');
    fs.mkdirSync(path.join(s.dir, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(s.dir, 'node_modules', 'taskdaemon'));
    fs.writeFileSync(
      entry,
      `const { setTimeout: sleep } = require('node:timers/promises');\n` +
        `module.exports = require('taskdaemon').defineDaemon({ async run(ctx) { for (;;) await sleep(60_000, null, { signal: ctx.signal }); } });\n`,
    );
    expect((await td(['start', entry, ...s.flags, '--', s.tag])).code).toBe(0);
    expect((await td(['stop', '--pidfile', s.pidfile])).code).toBe(0);
    expect(s.readLog()).toContain('stopped exit 0');
    expect(s.readLog()).not.toMatch(/run-failed|AbortError/);
  });
});


// The daemon's environment (daemon(7): sanitize the environment block), read
// from /proc/PID/environ of real daemons: exactly the expected set by default,
// and each way to give it more.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, isRoot, nobodyReadable, td, type CliOptions } from '../helpers/cli';
import { waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const UNDER_ASAN = process.env.TD_ASAN === '1';

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const sandboxes: Sandbox[] = [];
afterEach(async () => {
  for (const s of sandboxes.splice(0)) await s.cleanup();
});
const box = (): Sandbox => {
  const s = sandbox();
  sandboxes.push(s);
  return s;
};

function environOf(pid: number): { [k: string]: string } {
  const out: { [k: string]: string } = {};
  for (const kv of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)) {
    const eq = kv.indexOf('=');
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

// What the caller's environment holds: secrets, an agent socket, its own PATH and node options.
const CALLER = {
  MY_SECRET_TOKEN: 'hunter2',
  SSH_AUTH_SOCK: '/tmp/agent.sock',
  PATH: `/root/.cargo/bin:${process.env.PATH}`,
  NODE_OPTIONS: '--max-old-space-size=200',
  NOTIFY_SOCKET: '/run/systemd/notify',
  LANG: 'C.UTF-8',
  LC_TIME: 'C.UTF-8',
  TZ: 'Europe/Berlin',
};

async function started(s: Sandbox, extra: string[], o: CliOptions = {}): Promise<{ pid: number; environ: { [k: string]: string }; programEnv: { [k: string]: string } }> {
  const probe = o.bin ? path.join(nobodyReadable().fixtures, 'probe.js') : path.join(FIXTURES, 'probe.js');
  const r = await td(['start', probe, ...s.flags, ...extra, '--', s.tag, '--show-env'], { ...o, env: { ...CALLER, ...o.env } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const pid = s.readPid()!;
  const line = /probe-env (\{.*\})/.exec(s.readLog());
  return { pid, environ: environOf(pid), programEnv: JSON.parse(line![1]!) as { [k: string]: string } };
}

describe("the daemon's environment", () => {
  it.runIf(isRoot)('dropped to nobody: exactly the system PATH, the locale, nobody\'s identity and the boot fd', async () => {
    const s = box();
    const ro = nobodyReadable();
    const { environ, programEnv } = await started(s, ['--user', 'nobody'], { bin: ro.bin, node: ro.node });
    // /proc/PID/environ is the exec-time block: it keeps the boot variable, which holds only an fd number.
    // `npm run test:asan` passes its own variables on to every daemon (TASKDAEMON_PASS_ENV): they are expected too.
    const passed = Object.fromEntries((process.env.TASKDAEMON_PASS_ENV ?? '').split(',').filter((k) => k && process.env[k] !== undefined).map((k) => [k, process.env[k]]));
    expect(environ).toEqual({
      ...passed,
      PATH: SYSTEM_PATH,
      LANG: 'C.UTF-8',
      LC_TIME: 'C.UTF-8',
      TZ: 'Europe/Berlin',
      HOME: '/nonexistent',
      USER: 'nobody',
      LOGNAME: 'nobody',
      SHELL: '/usr/sbin/nologin',
      __TASKDAEMON_BOOT: expect.stringMatching(/^\d+$/),
    });
    // The program itself does not even see that one.
    expect(Object.keys(programEnv).sort()).toEqual([...Object.keys(passed), 'HOME', 'LANG', 'LC_TIME', 'LOGNAME', 'PATH', 'SHELL', 'TZ', 'USER'].sort());
  });

  it('without a drop: the caller\'s own identity, still nothing else of its environment', async () => {
    const s = box();
    const { environ } = await started(s, []);
    expect(environ.PATH).toBe(SYSTEM_PATH);
    expect(environ.USER).toBe(isRoot ? 'root' : process.env.USER ?? environ.USER);
    for (const k of ['MY_SECRET_TOKEN', 'SSH_AUTH_SOCK', 'NODE_OPTIONS', 'NOTIFY_SOCKET']) expect(environ).not.toHaveProperty(k);
  });

  it('--env, --env-file (later files win, --env wins over all, -FILE may be missing) and --pass-env', async () => {
    const s = box();
    const a = path.join(s.dir, 'a.env');
    const b = path.join(s.dir, 'b.env');
    fs.writeFileSync(a, '# secrets\nDB_URL="postgres://u:p@h/db"\nMODE=a\nGIVEN=from-file\n');
    fs.writeFileSync(b, 'MODE=b\n');
    const { environ } = await started(s, [
      '--env-file', a, '--env-file', b, '--env-file', `-${path.join(s.dir, 'missing.env')}`,
      '--env', 'GIVEN=from-flag', '--pass-env', 'MY_SECRET_TOKEN', '--pass-env', 'NOT_SET_ANYWHERE',
    ]);
    expect(environ).toMatchObject({ DB_URL: 'postgres://u:p@h/db', MODE: 'b', GIVEN: 'from-flag', MY_SECRET_TOKEN: 'hunter2', PATH: SYSTEM_PATH });
    expect(environ).not.toHaveProperty('NOT_SET_ANYWHERE');
    expect(environ).not.toHaveProperty('SSH_AUTH_SOCK');
  });

  it('--inherit-env gives the whole caller environment, but never the service manager\'s variables', async () => {
    const s = box();
    const { environ } = await started(s, ['--inherit-env']);
    expect(environ).toMatchObject({ MY_SECRET_TOKEN: 'hunter2', SSH_AUTH_SOCK: '/tmp/agent.sock', NODE_OPTIONS: '--max-old-space-size=200', PATH: CALLER.PATH });
    expect(environ).not.toHaveProperty('NOTIFY_SOCKET');
  });

  // Not under test:asan: its harness sets TASKDAEMON_PASS_ENV and TD_TEST_ADDON itself (scripts/test-asan.sh).
  it.skipIf(UNDER_ASAN)('the config file and TASKDAEMON_* variables set the same', async () => {
    const s = box();
    const envFile = path.join(s.dir, 'app.env');
    fs.writeFileSync(envFile, 'FROM_FILE=1\n');
    const cfg = path.join(s.dir, 'app.toml');
    fs.writeFileSync(cfg, `env_file = "app.env"\npass_env = ["MY_SECRET_TOKEN"]\n`);
    const fromToml = await started(s, ['--config', cfg]);
    expect(fromToml.environ).toMatchObject({ FROM_FILE: '1', MY_SECRET_TOKEN: 'hunter2' });
    expect((await td(['stop', '--pidfile', s.pidfile])).code).toBe(0);
    const fromVars = await started(s, [], { env: { TASKDAEMON_ENV_FILE: envFile, TASKDAEMON_PASS_ENV: 'SSH_AUTH_SOCK,TZ', TASKDAEMON_INHERIT_ENV: 'false' } });
    expect(fromVars.environ).toMatchObject({ FROM_FILE: '1', SSH_AUTH_SOCK: '/tmp/agent.sock' });
    expect(fromVars.environ).not.toHaveProperty('MY_SECRET_TOKEN');
  });

  it('a missing or unreadable env file is exit 6 and starts nothing', async () => {
    const s = box();
    const probe = path.join(FIXTURES, 'probe.js');
    const missing = await td(['start', probe, ...s.flags, '--env-file', path.join(s.dir, 'nope.env'), '--', s.tag]);
    expect(missing.code).toBe(6);
    expect(missing.stderr).toContain(`cannot read env file ${path.join(s.dir, 'nope.env')}: no such file`);
    const unreadable = await td(['start', probe, ...s.flags, '--env-file', s.dir, '--', s.tag]);
    expect(unreadable.code).toBe(6);
    expect(fs.existsSync(s.pidfile)).toBe(false);
  });

  it("node's own --env-file never steals ours, nor the program's (through the shebang, as users run it)", async () => {
    const s = box();
    const missing = path.join(s.dir, 'missing.env');
    const r = spawnSync(BIN, ['config', 'show', path.join(FIXTURES, 'probe.js'), ...s.flags, '--env-file', `-${missing}`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The program's own --env-file argument reaches the program, not the daemon's node.
    const started = await td(['start', path.join(FIXTURES, 'probe.js'), ...s.flags, '--', s.tag, '--env-file', missing]);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(s.readLog()).toContain(`"--env-file","${missing}"`);
  });

  it('config show prints the environment the daemon will get, with passed and file values masked', async () => {
    const s = box();
    const envFile = path.join(s.dir, 'app.env');
    fs.writeFileSync(envFile, 'DB_PASSWORD=swordfish\n');
    const r = await td(['config', 'show', path.join(FIXTURES, 'probe.js'), ...s.flags, '--env-file', envFile, '--pass-env', 'MY_SECRET_TOKEN', '--env', 'VISIBLE=yes'], {
      env: CALLER,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('#   DB_PASSWORD=********');
    expect(r.stdout).toContain('#   MY_SECRET_TOKEN=********');
    expect(r.stdout).toContain('#   VISIBLE=yes');
    expect(r.stdout).toContain(`#   PATH=${SYSTEM_PATH}`);
    expect(r.stdout).not.toMatch(/swordfish|hunter2/);
  });

  it('run keeps the environment it was given and applies --env and --env-file', async () => {
    const s = box();
    const envFile = path.join(s.dir, 'app.env');
    fs.writeFileSync(envFile, 'FROM_FILE=1\n');
    const child = spawn(
      process.execPath,
      [path.join(FIXTURES, '..', '..', 'bin', 'taskdaemon.js'), 'run', path.join(FIXTURES, 'probe.js'), ...s.flags, '--stdout', s.log, '--env-file', envFile, '--env', 'GIVEN=1', '--', s.tag, '--show-env'],
      { env: { ...process.env, ...CALLER, NOTIFY_SOCKET: '' }, stdio: 'ignore' },
    );
    try {
      await waitFor(() => /probe-env (\{.*\})/.test(s.readLog()), 10_000, 'the program to report its environment');
      const env = JSON.parse(/probe-env (\{.*\})/.exec(s.readLog())![1]!) as { [k: string]: string };
      expect(env).toMatchObject({ MY_SECRET_TOKEN: 'hunter2', PATH: CALLER.PATH, FROM_FILE: '1', GIVEN: '1' });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('close', r));
    }
  });
});

// The init scripts users get, as an operator runs them: the shipped generic
// initd/taskdaemon (settings from a defaults file, here named by
// TASKDAEMON_DEFAULTS_FILE since a test cannot write /etc/default, and a
// daemon described by a taskdaemon.toml) and a script `taskdaemon install
// initd` rendered from it (the daemon's options on its start line). Valid
// POSIX sh with an LSB header; a real daemon driven through the real
// start-stop-daemon, with LSB exit codes.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, isRoot, ROOT, td } from '../helpers/cli';
import { alive, waitFor } from '../helpers/proc';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const SCRIPT = 'initd/taskdaemon'; // run from ROOT, as `sh initd/taskdaemon ACTION`
const APP = path.join(FIXTURES, 'lifecycle.js');
// The script's own PATH: where it finds start-stop-daemon.
const SBIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const hasSsd = spawnSync('sh', ['-c', 'command -v start-stop-daemon'], { env: { PATH: SBIN_PATH } }).status === 0;
const why = !hasSsd ? 'start-stop-daemon is not installed' : !isRoot ? 'not running as root' : null;
if (why) console.warn(`initd.test: daemon tests skipped, ${why}`);

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.cleanup();
  sb = undefined;
});

const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

interface Service {
  sb: Sandbox;
  defaults: string;
  /** The script's path as `$0` shows it in its usage line. */
  script: string;
  action(a: string, script?: string): { status: number | null; stdout: string; stderr: string };
}

// The test's own environment, as from an admin's shell. TASKDAEMON_DEFAULTS_FILE
// in it would fail every taskdaemon command (an unknown TASKDAEMON_ variable):
// the script must not pass it on.
function runScript(script: string, a: string, defaults: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', [script, a], {
    cwd: ROOT,
    env: { ...process.env, TASKDAEMON_DEFAULTS_FILE: defaults },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A daemon in a fresh sandbox: its taskdaemon.toml, the app's JSON config and
// a defaults file that points the script at them. Nothing is started.
function service(settings: { [key: string]: string } = {}): Service {
  const s = (sb = sandbox('td-initd'));
  const appConfig = path.join(s.dir, 'app.json');
  fs.writeFileSync(appConfig, JSON.stringify({ version: 1 }));
  const toml = path.join(s.dir, 'taskdaemon.toml');
  fs.writeFileSync(
    toml,
    [
      `entry = ${JSON.stringify(APP)}`,
      `args = [${JSON.stringify(s.tag)}, ${JSON.stringify(`--config=${appConfig}`)}]`,
      `name = ${JSON.stringify(s.name)}`,
      `pidfile = ${JSON.stringify(s.pidfile)}`,
      `stdout = ${JSON.stringify(s.log)}`,
      'state_file = false',
      '',
    ].join('\n'),
  );
  const values = { NAME: s.name, CONFIG: toml, PIDFILE: s.pidfile, TASKDAEMON: BIN, NODE: process.execPath, ...settings };
  const defaults = path.join(s.dir, 'defaults');
  fs.writeFileSync(defaults, Object.entries(values).map(([k, v]) => `${k}=${shQuote(v)}\n`).join(''));
  return { sb: s, defaults, script: SCRIPT, action: (a, script = SCRIPT) => runScript(script, a, defaults) };
}

// The same daemon from a script that `taskdaemon install initd` rendered, as a
// user installs it: its options on the start line, no config file; an empty
// defaults file stands for the absent /etc/default/<name>.
async function renderedService(): Promise<Service> {
  const s = (sb = sandbox('td-initd'));
  const appConfig = path.join(s.dir, 'app.json');
  fs.writeFileSync(appConfig, JSON.stringify({ version: 1 }));
  const script = path.join(s.dir, s.name);
  const r = await td(['install', 'initd', APP, ...s.flags.slice(0, 6), '--no-state-file', '--output', script, '--', s.tag, `--config=${appConfig}`]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(fs.statSync(script).mode & 0o777).toBe(0o755);
  const defaults = path.join(s.dir, 'defaults');
  fs.writeFileSync(defaults, '');
  return { sb: s, defaults, script, action: (a, file = script) => runScript(file, a, defaults) };
}

const KINDS: [string, () => Promise<Service>][] = [
  ['shipped', async () => service()],
  ['rendered by install', renderedService],
];

const cmdline = (pid: number): string[] => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);

describe('initd/taskdaemon: the file', () => {
  it('is executable, has an LSB header, and is valid POSIX sh (sh -n, and shellcheck where installed)', () => {
    const file = path.join(ROOT, SCRIPT);
    expect(fs.statSync(file).mode & 0o111).toBe(0o111);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toBe('#!/bin/sh');
    const header = lines.slice(lines.indexOf('### BEGIN INIT INFO'), lines.indexOf('### END INIT INFO') + 1);
    expect(header.length).toBeGreaterThan(2);
    for (const line of [
      '# Provides:          taskdaemon',
      '# Required-Start:    $remote_fs $syslog $network',
      '# Required-Stop:     $remote_fs $syslog $network',
      '# Default-Start:     2 3 4 5',
      '# Default-Stop:      0 1 6',
    ]) {
      expect(header).toContain(line);
    }
    expect(header.some((l) => l.startsWith('# Short-Description: '))).toBe(true);
    expect(header.some((l) => l.startsWith('# Description: '))).toBe(true);

    const n = spawnSync('sh', ['-n', file], { encoding: 'utf8' });
    expect({ status: n.status, stderr: n.stderr }).toEqual({ status: 0, stderr: '' });
    const sc = spawnSync('shellcheck', ['-s', 'sh', file], { encoding: 'utf8' });
    if (sc.error) return; // not installed: the project does not depend on it
    expect({ status: sc.status, stdout: sc.stdout }).toEqual({ status: 0, stdout: '' });
  });
});

describe.skipIf(why !== null).each(KINDS)('initd/taskdaemon, %s: a real daemon through start-stop-daemon', (_kind, make) => {
  it('start, start again, status, reload, restart, stop, status, stop again: LSB exit codes', async () => {
    const { sb: s, action } = await make();

    const start = action('start');
    expect(start.stderr).toBe('');
    expect(start.status).toBe(0);
    const pid = s.readPid()!;
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(true);
    // What --exec matches, and the daemon the config describes.
    expect(fs.realpathSync(`/proc/${pid}/exe`)).toBe(fs.realpathSync(process.execPath));
    expect(cmdline(pid)).toContain(s.tag);
    expect(cmdline(pid)).toContain(`--config=${path.join(s.dir, 'app.json')}`);
    const cli = await td(['status', '--pidfile', s.pidfile, '--name', s.name]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`is running (pid ${pid})`);

    const again = action('start');
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('already running');
    expect(s.readPid()).toBe(pid);

    const status = action('status');
    expect(status.status).toBe(0);
    expect(status.stdout).toContain(`${s.name} is running (pid ${pid})`);

    expect(action('reload').status).toBe(0);
    await expect.poll(() => s.readLog(), { timeout: 10_000 }).toContain('reloaded generation 1');
    const log = s.readLog();
    expect(log.indexOf('app-reload')).toBeGreaterThan(-1);
    expect(log.indexOf('app-reload')).toBeLessThan(log.indexOf('reloaded generation 1'));
    expect(s.readPid()).toBe(pid);
    // The daemon reloads in place: force-reload is reload.
    expect(action('force-reload').status).toBe(0);
    await expect.poll(() => s.readLog(), { timeout: 10_000 }).toContain('reloaded generation 2');
    expect(s.readPid()).toBe(pid);

    expect(action('restart').status).toBe(0);
    const pid2 = s.readPid()!;
    expect(pid2).toBeGreaterThan(0);
    expect(pid2).not.toBe(pid);
    expect(alive(pid)).toBe(false);
    expect(alive(pid2)).toBe(true);

    expect(action('stop').status).toBe(0);
    expect(alive(pid2)).toBe(false);
    expect(fs.existsSync(s.pidfile)).toBe(false);
    expect(s.readLog()).toContain('app-shutdown');

    expect(action('status').status).toBe(3);
    expect(action('stop').status).toBe(0);
  });

  it('reload and force-reload when stopped: 7', async () => {
    const { action } = await make();
    expect(action('reload').status).toBe(7);
    expect(action('force-reload').status).toBe(7);
  });

  it('an unknown or missing action: usage on stderr, exit 3', async () => {
    const { sb: s, script, action } = await make();
    for (const a of ['frobnicate', '']) {
      const r = action(a);
      expect(r.status).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`Usage: ${script} {start|stop|restart|reload|force-reload|status}\n`);
    }
    expect(s.readPid()).toBeNull();
  });

  it('a daemon killed with SIGKILL: status 1 (dead, pidfile left), then start works', async () => {
    const { sb: s, action } = await make();
    expect(action('start').status).toBe(0);
    const pid = s.readPid()!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), 5_000, `pid ${pid} to die`);

    const dead = action('status');
    expect(dead.status).toBe(1);
    expect(dead.stdout).toContain(String(pid));
    expect(s.readPid()).toBe(pid);

    expect(action('start').status).toBe(0);
    const pid2 = s.readPid()!;
    expect(pid2).not.toBe(pid);
    expect(alive(pid2)).toBe(true);
    expect(action('status').status).toBe(0);
    expect(action('stop').status).toBe(0);
    expect(alive(pid2)).toBe(false);
  });
});

describe.skipIf(why !== null)('initd/taskdaemon: the name', () => {
  it('the script name is the daemon name, also when sysv-rc runs it as S20<name>', () => {
    const { sb: s, defaults, action } = service();
    // The defaults file no longer sets NAME: it comes from the script's name.
    fs.writeFileSync(defaults, fs.readFileSync(defaults, 'utf8').replace(/^NAME=.*\n/m, ''));
    for (const link of [s.name, `S20${s.name}`]) {
      const file = path.join(s.dir, link);
      fs.symlinkSync(path.join(ROOT, SCRIPT), file);
      const r = action('status', file);
      expect(r.status).toBe(3);
      expect(r.stdout).toBe(`${s.name} is not running\n`);
    }
  });

  it('a rendered script names its daemon itself, whatever its file is called', async () => {
    const { sb: s, script, action } = await renderedService();
    for (const link of ['other', 'S20other']) {
      const file = path.join(s.dir, link);
      fs.symlinkSync(script, file);
      const r = action('status', file);
      expect(r.status).toBe(3);
      expect(r.stdout).toBe(`${s.name} is not running\n`);
    }
  });
});

// taskdaemon install: rendered systemd units pass the real `systemd-analyze
// verify` with nothing printed, and systemd parses their command lines back
// into exactly the argv meant; the LSB init script is valid POSIX sh and drives
// a real daemon through start-stop-daemon with LSB exit codes; --output is
// atomic, has the right mode and never overwrites without --force.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, ROOT, td } from '../helpers/cli';
import { sandbox, type Sandbox } from '../helpers/sandbox';

const EXAMPLE = path.join(ROOT, 'examples', 'http-server.js');
// A space, a $ and a % in one value: systemd would split, expand and substitute each.
const GREETING = 'GREETING=hello world $HOME 100%';
const ARGS = ['--port', '8080', 'two words', '50%', '$HOME', ';'];
const OPTIONS = ['--user', 'nobody', '--umask', '027', '--env', GREETING];

const inTmp = (p: string): boolean => /^\/(var\/)?tmp\//.test(p);
const inHome = (p: string): boolean => /^\/(home|root|run\/user)\//.test(p);
// CI clones into a mktemp -d directory: the checkout itself may live in /tmp.
const HOME_EXPECTED = inHome(ROOT) || inHome(process.execPath) ? 'read-only' : 'yes';
const PRIVATE_TMP = !inTmp(ROOT) && !inTmp(process.execPath);

const dirs: string[] = [];
let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.cleanup();
  sb = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'td-install-'));
  dirs.push(d);
  return d;
}

function lines(text: string): string[] {
  return text.split('\n');
}

// systemd-analyze verify as the project requires it: offline, no man page
// look-ups, errors of this unit only; its verdict is "nothing printed".
function verify(unit: string, file: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const p = path.join(tmpDir(), file);
  fs.writeFileSync(p, unit);
  const r = spawnSync('/usr/bin/systemd-analyze', ['verify', '--man=no', '--recursive-errors=no', p], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Words of systemd's own dump of a parsed command line (shell-style quoting).
function dumpWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    let w = '';
    while (i < line.length && line[i] !== ' ') {
      if (line[i] !== '"') {
        w += line[i++];
        continue;
      }
      i++;
      while (line[i] !== '"') {
        if (line[i] === '\\') i++;
        w += line[i++];
      }
      i++;
    }
    words.push(w);
  }
  return words;
}

// The argv systemd stored for ExecStart=, read from its debug dump of the unit.
// `$$` stays `$$` there: systemd turns it into `$` when it execs the command.
function parsedExecStart(unit: string, file: string): string[] {
  const r = verify(unit, file, { SYSTEMD_LOG_LEVEL: 'debug' });
  const dump = r.stderr + r.stdout;
  const m = /-> ExecStart:\n\s*Command Line: (.*)\n/.exec(dump);
  expect(m, 'ExecStart in the dump of systemd-analyze').not.toBeNull();
  return dumpWords(m![1]!);
}

const escapedForExec = (s: string): string => s.replace(/\$/g, '$$$$');

describe('install systemd', () => {
  it('Type=forking: start with the options that differ from defaults, hardening, and a clean systemd-analyze verify', async () => {
    const r = await td(['install', 'systemd', EXAMPLE, ...OPTIONS, '--', ...ARGS]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const unit = lines(r.stdout);
    expect(unit).toContain('[Unit]');
    expect(unit).toContain('Description=http-server (taskdaemon)');
    expect(unit).toContain('After=network.target');
    expect(unit).toContain('Type=forking');
    expect(unit).toContain('PIDFile=/run/taskdaemon/http-server.pid');
    const execStart = unit.find((l) => l.startsWith('ExecStart='));
    expect(execStart).toBe(
      `ExecStart=${process.execPath} -- ${BIN} start ${EXAMPLE} --name http-server --pidfile /run/taskdaemon/http-server.pid ` +
        '--user nobody --umask 027 --env "GREETING=hello world $$HOME 100%%" -- --port 8080 "two words" "50%%" "$$HOME" ";"',
    );
    expect(unit).toContain('ExecReload=/bin/kill -HUP $MAINPID');
    expect(unit.some((l) => l.startsWith('ExecStop='))).toBe(false);
    expect(unit).toContain('Restart=on-failure');
    expect(unit).toContain('TimeoutStartSec=65s');
    expect(unit).toContain('KillMode=mixed');
    expect(unit).toContain('NoNewPrivileges=yes');
    expect(unit).toContain('ProtectSystem=strict');
    expect(unit).toContain(`ProtectHome=${HOME_EXPECTED}`);
    expect(unit.includes('PrivateTmp=yes')).toBe(PRIVATE_TMP);
    expect(unit).toContain('ReadWritePaths=/run/taskdaemon /var/log/taskdaemon /var/lib/taskdaemon/http-server');
    expect(unit).toContain('ExecStartPre=+/bin/mkdir -p /run/taskdaemon /var/log/taskdaemon');
    expect(unit).toContain('ExecStartPre=+/bin/mkdir -p -m 0700 /var/lib/taskdaemon/http-server');
    expect(unit.some((l) => l.startsWith('LimitNOFILE='))).toBe(false);
    expect(unit).toContain('[Install]');
    expect(unit).toContain('WantedBy=multi-user.target');

    expect(verify(r.stdout, 'http-server.service')).toEqual({ status: 0, stdout: '', stderr: '' });
    // What systemd will exec, word for word.
    expect(parsedExecStart(r.stdout, 'http-server.service')).toEqual(
      [process.execPath, '--', BIN, 'start', EXAMPLE, '--name', 'http-server', '--pidfile', '/run/taskdaemon/http-server.pid', ...OPTIONS, '--', ...ARGS].map(
        escapedForExec,
      ),
    );
  });

  it('Type=notify: run --no-pidfile, NotifyAccess=main, WatchdogSec=, and a clean systemd-analyze verify', async () => {
    const r = await td(['install', 'systemd', EXAMPLE, '--type', 'notify', '--watchdog', '10', '--nofile', '4096', ...OPTIONS, '--', ...ARGS]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const unit = lines(r.stdout);
    expect(unit).toContain('Type=notify');
    expect(unit).toContain('NotifyAccess=main');
    expect(unit).toContain('WatchdogSec=10s');
    expect(unit).toContain('LimitNOFILE=4096');
    expect(unit).toContain('ExecReload=/bin/kill -HUP $MAINPID');
    expect(unit).toContain('Restart=on-failure');
    expect(unit).toContain('ProtectSystem=strict');
    expect(unit.some((l) => l.startsWith('PIDFile='))).toBe(false);
    // `run` leaves its output to the journal: only the state directory is written.
    expect(unit).toContain('ReadWritePaths=/var/lib/taskdaemon/http-server');
    expect(verify(r.stdout, 'http-server.service')).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(parsedExecStart(r.stdout, 'http-server.service')).toEqual(
      [process.execPath, '--', BIN, 'run', EXAMPLE, '--name', 'http-server', '--no-pidfile', ...OPTIONS, '--nofile', '4096', '--', ...ARGS].map(escapedForExec),
    );

    // The default watchdog is 30s; 0 turns it off.
    expect(lines((await td(['install', 'systemd', EXAMPLE, '--type', 'notify'])).stdout)).toContain('WatchdogSec=30s');
    const off = await td(['install', 'systemd', EXAMPLE, '--type', 'notify', '--watchdog', '0']);
    expect(off.stdout).not.toContain('WatchdogSec=');
    expect(verify(off.stdout, 'http-server.service')).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('paths with spaces, quotes and specifiers; logs in /root make ProtectHome read-only; a pidfile in /tmp turns PrivateTmp off', async () => {
    const dir = tmpDir();
    const odd = path.join(dir, 'odd "dir" 100% $x');
    fs.mkdirSync(odd);
    const r = await td([
      'install', 'systemd', EXAMPLE, '--name', 'oddity', '--chdir', odd, '--pidfile', path.join(dir, 'run dir', 'oddity.pid'),
      '--stdout', '/root/td logs/oddity.log', '--stderr', '/var/log/td-odd/err%.log', '--state-file', path.join(odd, 'state.json'),
      '--grace', '2.5', '--ready-timeout', '90', '--log-format', 'json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const unit = lines(r.stdout);
    expect(unit).toContain('ProtectHome=read-only');
    expect(unit).not.toContain('PrivateTmp=yes');
    expect(unit).toContain(`PIDFile=${path.join(dir, 'run dir', 'oddity.pid')}`);
    expect(unit).toContain('TimeoutStartSec=95s');
    expect(unit).toContain('TimeoutStopSec=8s');
    expect(unit).toContain(`ReadWritePaths="${path.join(dir, 'run dir')}" "/root/td logs" /var/log/td-odd "${odd.replace(/[\\"]/g, '\\$&').replace(/%/g, '%%')}"`);
    expect(verify(r.stdout, 'oddity.service')).toEqual({ status: 0, stdout: '', stderr: '' });
    const argv = parsedExecStart(r.stdout, 'oddity.service');
    expect(argv.slice(argv.indexOf('--chdir'), argv.indexOf('--chdir') + 2)).toEqual(['--chdir', escapedForExec(odd)]);
    expect(argv).toContain('/var/log/td-odd/err%.log');
    expect(argv.slice(-8)).toEqual(['--ready-timeout', '90', '--grace', '2500ms', '--state-file', escapedForExec(path.join(odd, 'state.json')), '--log-format', 'json']);
  });
});

describe('install initd', () => {
  it('an LSB header, /etc/default, start-stop-daemon; valid POSIX sh (sh -n, and shellcheck where installed)', async () => {
    const r = await td(['install', 'initd', EXAMPLE, ...OPTIONS, '--', ...ARGS]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const script = lines(r.stdout);
    expect(script[0]).toBe('#!/bin/sh');
    expect(script).toContain('### BEGIN INIT INFO');
    expect(script).toContain('# Provides:          http-server');
    expect(script).toContain('# Required-Start:    $remote_fs $syslog $network');
    expect(script).toContain('# Default-Start:     2 3 4 5');
    expect(script).toContain('# Default-Stop:      0 1 6');
    expect(script).toContain('# Short-Description: http-server (taskdaemon)');
    expect(script).toContain('### END INIT INFO');
    expect(script).toContain('if [ -r "/etc/default/$NAME" ]; then . "/etc/default/$NAME"; fi');
    expect(script).toContain('PIDFILE=/run/taskdaemon/http-server.pid');
    expect(script).toContain(`NODE=${process.execPath}`);
    expect(r.stdout).toContain(
      "--user nobody --umask 027 --env 'GREETING=hello world $HOME 100%' --oknodo $DAEMON_OPTS -- --port 8080 'two words' 50% '$HOME' ';'",
    );
    expect(r.stdout).toContain('start-stop-daemon --stop --quiet --oknodo --retry "$STOP_RETRY"');
    expect(script).toContain('STOP_RETRY=TERM/35/KILL/5');

    const file = path.join(tmpDir(), 'http-server');
    fs.writeFileSync(file, r.stdout);
    const n = spawnSync('sh', ['-n', file], { encoding: 'utf8' });
    expect({ status: n.status, stderr: n.stderr }).toEqual({ status: 0, stderr: '' });
    const sc = spawnSync('shellcheck', ['-s', 'sh', file], { encoding: 'utf8' });
    if (sc.error) return; // not installed: the project does not depend on it
    expect({ status: sc.status, stdout: sc.stdout }).toEqual({ status: 0, stdout: '' });
  });

  it('drives a real daemon: start, start again, status, reload, stop, stop again, with LSB exit codes', async () => {
    sb = sandbox('td-initd');
    const script = path.join(sb.dir, sb.name);
    const w = await td(['install', 'initd', EXAMPLE, ...sb.flags, '--output', script, '--', '--port', '0', sb.tag]);
    expect(w.stderr).toBe('');
    expect(w.code).toBe(0);
    expect(fs.statSync(script).mode & 0o777).toBe(0o755);
    const action = (a: string): { status: number | null; out: string } => {
      const r = spawnSync(script, [a], { encoding: 'utf8', timeout: 60_000 });
      return { status: r.status, out: r.stdout + r.stderr };
    };
    expect(action('status').status).toBe(3);
    expect(action('start').status).toBe(0);
    const pid = sb.readPid();
    expect(pid).toBeGreaterThan(0);
    expect(fs.readlinkSync(`/proc/${pid}/exe`)).toBe(fs.realpathSync(process.execPath)); // what --exec matches
    const again = action('start');
    expect(again.status).toBe(0);
    expect(again.out).toContain('already running');
    expect(sb.readPid()).toBe(pid);
    expect(action('status').status).toBe(0);
    expect(action('reload').status).toBe(0);
    await expect.poll(() => sb!.readLog(), { timeout: 10_000 }).toContain('reloaded generation 1');
    expect(action('force-reload').status).toBe(0);
    expect(action('restart').status).toBe(0);
    expect(sb.readPid()).not.toBe(pid);
    expect(action('stop').status).toBe(0);
    expect(action('stop').status).toBe(0);
    expect(action('status').status).toBe(3);
    expect(action('reload').status).toBe(7);
    expect(action('frobnicate').status).toBe(3);
  });
});

describe('install: errors and --output', () => {
  it('an unknown or missing kind is exit 2 with a hint', async () => {
    const r = await td(['install', 'upstart', EXAMPLE]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)[0]).toBe("taskdaemon: unknown service kind 'upstart': expected systemd, initd or logrotate");
    expect(r.stderr).toContain('usage: taskdaemon install systemd|initd');
    const none = await td(['install']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('systemd, initd or logrotate');
  });

  it('a missing entry is exit 2, an entry that does not exist exit 5', async () => {
    expect((await td(['install', 'systemd'])).code).toBe(2);
    expect((await td(['install', 'initd', path.join(tmpDir(), 'nope.js')])).code).toBe(5);
  });

  it('--output writes 0644 units and 0755 scripts whatever the umask, and leaves no temp file', async () => {
    const dir = tmpDir();
    const umask077 = ['sh', '-c', 'umask 077 && exec "$0" "$@"'];
    const unit = path.join(dir, 'api.service');
    const r = await td(['install', 'systemd', EXAMPLE, '--name', 'api', '--output', unit], { wrap: umask077 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote ${unit}\n`);
    expect(fs.statSync(unit).mode & 0o777).toBe(0o644);
    expect(fs.readFileSync(unit, 'utf8')).toContain('ExecStart=');
    const script = path.join(dir, 'api');
    expect((await td(['install', 'initd', EXAMPLE, '--name', 'api', '--output', script], { wrap: umask077 })).code).toBe(0);
    expect(fs.statSync(script).mode & 0o777).toBe(0o755);
    expect(fs.readdirSync(dir).sort()).toEqual(['api', 'api.service']);
  });

  it('an existing --output is kept (exit 1) unless --force replaces it', async () => {
    const dir = tmpDir();
    const unit = path.join(dir, 'api.service');
    fs.writeFileSync(unit, 'mine\n', { mode: 0o600 });
    const r = await td(['install', 'systemd', EXAMPLE, '--name', 'api', '--output', unit]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)[0]).toBe(`taskdaemon: ${unit} exists`);
    expect(r.stderr).toContain('--force');
    expect(fs.readFileSync(unit, 'utf8')).toBe('mine\n');
    expect(fs.statSync(unit).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['api.service']);

    const f = await td(['install', 'systemd', EXAMPLE, '--name', 'api', '--output', unit, '--force']);
    expect(f.code).toBe(0);
    expect(fs.readFileSync(unit, 'utf8')).toContain('Type=forking');
    expect(fs.statSync(unit).mode & 0o777).toBe(0o644);
    expect(fs.readdirSync(dir)).toEqual(['api.service']);
  });
});

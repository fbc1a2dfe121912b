// taskdaemon install: a rendered file is the shipped one (systemd/, initd/) +
// named changes, the shipped hardening unchanged but where the daemon's paths
// need it; rendered units pass the real `systemd-analyze verify` with nothing
// printed, and systemd parses their command lines back into exactly the argv
// meant; the init script is valid POSIX sh (test/service/ drives both with the
// real systemd and start-stop-daemon); --output is atomic, has the right mode
// and never overwrites without --force.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, ROOT, td } from '../helpers/cli';
import { changedDirectives, directives, lineHunks, shipped } from '../helpers/service-files';

const UNDER_ASAN = process.env.TD_ASAN === '1';

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
afterEach(() => {
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

// The rendered unit is the shipped template + these changes: the same directives
// in the same order, hardening included, and only these differ.
const FORKING = 'systemd/taskdaemon@.service';
const NOTIFY = 'systemd/taskdaemon-notify@.service';
// Visibility the daemon's own paths need (the checkout and node are among them).
const VISIBILITY: { [key: string]: string[] } = {
  ...(HOME_EXPECTED === 'read-only' ? { 'Service.ProtectHome': ['read-only'] } : {}),
  ...(PRIVATE_TMP ? {} : { 'Service.PrivateTmp': ['no'] }),
};

// Every line the rendering dropped is the shipped header comment or a changed
// directive, every line it added a changed directive, its own header, or the
// one-line reason for a visibility change: nothing else moved.
function onlyTheseChanged(template: string, rendered: string, changed: { [key: string]: string[] }): void {
  const keys = new Set(Object.keys(changed).map((k) => k.split('.')[1]!));
  const header = (text: string): string[] => text.slice(0, text.indexOf('[Unit]')).split('\n').filter(Boolean);
  const isChanged = (l: string): boolean => keys.has(l.slice(0, l.indexOf('=')));
  for (const h of lineHunks(shipped(template), rendered)) {
    expect(h.from.filter((l) => !isChanged(l) && !header(shipped(template)).includes(l)), 'shipped lines lost').toEqual([]);
    expect(h.to.filter((l) => !isChanged(l) && !header(rendered).includes(l) && !l.startsWith('# Not yes, ')), 'lines added').toEqual([]);
  }
  // In the shipped order.
  const order = (text: string): string[] => [...new Set(directives(text).keys())];
  expect(order(rendered)).toEqual(order(shipped(template)).filter((k) => !(k in changed) || changed[k]!.length > 0));
}

describe('install systemd', () => {
  // Not under test:asan: its harness sets TASKDAEMON_PASS_ENV and TD_TEST_ADDON itself (scripts/test-asan.sh).
  it.skipIf(UNDER_ASAN)('Type=forking: the shipped unit with start and the options that differ from defaults; a clean systemd-analyze verify', async () => {
    const r = await td(['install', 'systemd', EXAMPLE, ...OPTIONS, '--', ...ARGS]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const changed = {
      'Unit.Description': ['http-server (taskdaemon)'],
      // The options are all on the command line.
      'Service.Environment': [],
      'Service.PIDFile': ['/run/taskdaemon/http-server.pid'],
      'Service.ExecStartPre': ['+/bin/mkdir -p /run/taskdaemon /var/log/taskdaemon', '+/bin/mkdir -p -m 0700 /var/lib/taskdaemon/http-server'],
      'Service.ExecStart': [
        `${process.execPath} -- ${BIN} start ${EXAMPLE} --name http-server --pidfile /run/taskdaemon/http-server.pid ` +
          '--user nobody --umask 027 --env "GREETING=hello world $$HOME 100%%" -- --port 8080 "two words" "50%%" "$$HOME" ";"',
      ],
      'Service.TimeoutStartSec': ['65s'],
      'Service.ReadWritePaths': ['-/run/taskdaemon -/var/log/taskdaemon -/var/lib/taskdaemon/http-server'],
      ...VISIBILITY,
    };
    expect(changedDirectives(shipped(FORKING), r.stdout)).toEqual(changed);
    onlyTheseChanged(FORKING, r.stdout, changed);
    expect(lines(r.stdout)[0]).toMatch(/^# http-server \(taskdaemon\): rendered by `taskdaemon install systemd` from the shipped$/);

    expect(verify(r.stdout, 'http-server.service')).toEqual({ status: 0, stdout: '', stderr: '' });
    // What systemd will exec, word for word.
    expect(parsedExecStart(r.stdout, 'http-server.service')).toEqual(
      [process.execPath, '--', BIN, 'start', EXAMPLE, '--name', 'http-server', '--pidfile', '/run/taskdaemon/http-server.pid', ...OPTIONS, '--', ...ARGS].map(
        escapedForExec,
      ),
    );
  });

  it('Type=notify: the shipped notify unit with run --no-pidfile, WatchdogSec= and LimitNOFILE= of the options; a clean systemd-analyze verify', async () => {
    const r = await td(['install', 'systemd', EXAMPLE, '--type', 'notify', '--watchdog', '10', '--nofile', '4096', ...OPTIONS, '--', ...ARGS]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const changed = {
      'Unit.Description': ['http-server (taskdaemon, notify)'],
      'Service.Environment': [],
      // `run` leaves its output to the journal: only the state directory is written.
      'Service.ExecStartPre': ['+/bin/mkdir -p -m 0700 /var/lib/taskdaemon/http-server'],
      'Service.ExecStart': [
        `${process.execPath} -- ${BIN} run ${EXAMPLE} --name http-server --no-pidfile ` +
          '--user nobody --umask 027 --env "GREETING=hello world $$HOME 100%%" --nofile 4096 -- --port 8080 "two words" "50%%" "$$HOME" ";"',
      ],
      'Service.WatchdogSec': ['10s'],
      'Service.TimeoutStartSec': ['65s'],
      'Service.LimitNOFILE': ['4096'],
      'Service.ReadWritePaths': ['-/var/lib/taskdaemon/http-server'],
      ...VISIBILITY,
    };
    expect(changedDirectives(shipped(NOTIFY), r.stdout)).toEqual(changed);
    onlyTheseChanged(NOTIFY, r.stdout, changed);
    expect(verify(r.stdout, 'http-server.service')).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(parsedExecStart(r.stdout, 'http-server.service')).toEqual(
      [process.execPath, '--', BIN, 'run', EXAMPLE, '--name', 'http-server', '--no-pidfile', ...OPTIONS, '--nofile', '4096', '--', ...ARGS].map(escapedForExec),
    );

    // The default watchdog is the shipped 30s; 0 removes the line.
    expect(changedDirectives(shipped(NOTIFY), (await td(['install', 'systemd', EXAMPLE, '--type', 'notify'])).stdout)['Service.WatchdogSec']).toBeUndefined();
    const off = await td(['install', 'systemd', EXAMPLE, '--type', 'notify', '--watchdog', '0', '--no-state-file']);
    const offChanges = changedDirectives(shipped(NOTIFY), off.stdout);
    expect(offChanges['Service.WatchdogSec']).toEqual([]);
    // Nothing to write: no directory to make, none to open.
    expect(offChanges['Service.ExecStartPre']).toEqual([]);
    expect(offChanges['Service.ReadWritePaths']).toEqual([]);
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
    const changed = changedDirectives(shipped(FORKING), r.stdout);
    expect(changed['Service.ProtectHome']).toEqual(['read-only']);
    expect(changed['Service.PrivateTmp']).toEqual(['no']);
    // Each with its reason right above it.
    const unit = lines(r.stdout);
    expect(unit[unit.indexOf('ProtectHome=read-only') - 1]).toMatch(/^# Not yes, which hides \/home, \/root and \/run\/user: the daemon uses .*\/root\/td logs/);
    expect(unit[unit.indexOf('PrivateTmp=no') - 1]).toBe(
      `# Not yes, which gives the service its own /tmp and /var/tmp: the daemon uses ${[...(inTmp(process.execPath) ? [process.execPath] : []), ...(inTmp(BIN) ? [BIN] : []), ...(inTmp(EXAMPLE) ? [EXAMPLE] : []), odd, path.join(dir, 'run dir')].join(', ')}.`,
    );
    expect(changed['Service.PIDFile']).toEqual([path.join(dir, 'run dir', 'oddity.pid')]);
    expect(changed['Service.TimeoutStartSec']).toEqual(['95s']);
    expect(changed['Service.TimeoutStopSec']).toEqual(['8s']);
    expect(changed['Service.ReadWritePaths']).toEqual([`"-${path.join(dir, 'run dir')}" "-/root/td logs" -/var/log/td-odd "-${odd.replace(/[\\"]/g, '\\$&').replace(/%/g, '%%')}"`]);
    expect(verify(r.stdout, 'oddity.service')).toEqual({ status: 0, stdout: '', stderr: '' });
    const argv = parsedExecStart(r.stdout, 'oddity.service');
    expect(argv.slice(argv.indexOf('--chdir'), argv.indexOf('--chdir') + 2)).toEqual(['--chdir', escapedForExec(odd)]);
    expect(argv).toContain('/var/log/td-odd/err%.log');
    // Each option as a flag and its value, in the option table's order.
    const pairs = [['--state-file', escapedForExec(path.join(odd, 'state.json'))], ['--chdir', escapedForExec(odd)], ['--ready-timeout', '90'], ['--grace', '2500ms'], ['--log-format', 'json']];
    const at = pairs.map(([flag, value]) => {
      const i = argv.indexOf(flag!);
      expect(argv[i + 1], flag).toBe(value);
      return i;
    });
    expect(at).toEqual([...at].sort((a, b) => a - b));
  });

  it("every hardening line of the shipped unit's [Service] is in the rendered unit, unchanged but for the visibility its paths need; none is added", async () => {
    const dir = tmpDir();
    const renderings: [string, string[]][] = [
      [FORKING, []],
      [NOTIFY, ['--type', 'notify']],
      [FORKING, ['--user', 'nobody', '--nofile', '1024', '--pidfile', path.join(dir, 'a.pid'), '--stdout', '/root/a.log']],
      [NOTIFY, ['--type', 'notify', '--watchdog', '0', '--no-state-file', '--stdout', '/home/a/a.log']],
    ];
    // systemd.exec(5) "SECURITY" and "SANDBOXING", and the kill mode.
    const HARDENING = /^(NoNewPrivileges|Protect\w+|Private\w+|Restrict\w+|Lock\w+|Memory\w+|Capability\w+|Ambient\w+|SystemCall\w+|ReadOnlyPaths|InaccessiblePaths|KillMode|UMask)=/;
    for (const [template, flags] of renderings) {
      const r = await td(['install', 'systemd', EXAMPLE, ...flags]);
      expect(r.code).toBe(0);
      const hardening = (text: string): string[] => lines(text.slice(text.indexOf('[Service]'), text.indexOf('[Install]'))).filter((l) => HARDENING.test(l));
      const theirs = hardening(shipped(template));
      expect(theirs.length).toBeGreaterThan(4);
      // What the rule relaxes, and only when one of the daemon's paths is there.
      const relaxed = [
        ...(r.stdout.includes('PrivateTmp=no') ? ['PrivateTmp=yes'] : []),
        ...(r.stdout.includes('ProtectHome=read-only') ? ['ProtectHome=yes'] : []),
      ];
      const expected = theirs.map((l) => (relaxed.includes(l) ? l.replace('=yes', l.startsWith('PrivateTmp') ? '=no' : '=read-only') : l));
      expect(hardening(r.stdout), `${template} ${flags.join(' ')}`).toEqual(expected);
      expect(r.stdout.includes('ProtectHome=read-only')).toBe(flags.some((f) => /^\/(root|home)\//.test(f)) || HOME_EXPECTED === 'read-only');
      expect(r.stdout.includes('PrivateTmp=no')).toBe(flags.some((f) => inTmp(f)) || !PRIVATE_TMP);
      expect(verify(r.stdout, 'http-server.service')).toEqual({ status: 0, stdout: '', stderr: '' });
    }
  });
});

describe('install initd', () => {
  // Not under test:asan: its harness sets TASKDAEMON_PASS_ENV and TD_TEST_ADDON itself (scripts/test-asan.sh).
  it.skipIf(UNDER_ASAN)('the shipped generic script + this daemon: its header, settings, and start line; valid POSIX sh (sh -n, and shellcheck where installed)', async () => {
    const r = await td(['install', 'initd', EXAMPLE, ...OPTIONS, '--', ...ARGS]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The introduction (what the script is, its settings) is its own; the rest is compared line by line.
    const cut = (text: string, first: string, last: string): string => {
      const a = text.indexOf(first);
      expect(a, first).toBeGreaterThan(-1);
      return text.slice(0, a) + text.slice(text.indexOf(last, a) + last.length + 1);
    };
    const template = cut(shipped('initd/taskdaemon'), '# A generic init script for any daemon', '# agree on the pidfile.');
    const rendered = cut(r.stdout, '# http-server: rendered by `taskdaemon install initd` from the shipped generic', '#                options on the start line win over it');
    expect(lineHunks(template, rendered)).toEqual([
      { from: ['# Provides:          taskdaemon'], to: ['# Provides:          http-server'] },
      {
        from: [
          '# Short-Description: Node.js daemon run by taskdaemon',
          '# Description:       Starts, stops and reloads the Node.js daemon described',
          '#                    by /etc/taskdaemon/<name>.toml, through taskdaemon and',
          '#                    start-stop-daemon, with LSB exit codes.',
        ],
        to: ['# Short-Description: http-server (taskdaemon)', '# Description:       http-server, a Node.js daemon run by taskdaemon.'],
      },
      {
        from: ['# Not inherited either: empty until the defaults file or the defaults below set them.', 'NAME=$SCRIPTNAME'],
        to: ["# Not inherited either: this daemon's settings, which the defaults file may change.", 'NAME=http-server'],
      },
      {
        from: ['NODE=', 'TASKDAEMON=', 'PIDFILE=', 'STOP_RETRY='],
        to: [`NODE=${process.execPath}`, `TASKDAEMON=${BIN}`, 'PIDFILE=/run/taskdaemon/http-server.pid', 'STOP_RETRY=TERM/35/KILL/5'],
      },
      // No config file by default: the options are on the start line.
      { from: [': "${NAME:=$SCRIPTNAME}"', ': "${CONFIG:=/etc/taskdaemon/$NAME.toml}"'], to: [': "${NAME:=http-server}"'] },
      {
        from: [
          '\t# shellcheck disable=SC2086 # DAEMON_OPTS is a list of words',
          '\t"$NODE" -- "$TASKDAEMON" start ${CONFIG:+--config "$CONFIG"} --name "$NAME" --pidfile "$PIDFILE" --oknodo $DAEMON_OPTS >/dev/null',
        ],
        to: [
          '\t# shellcheck disable=SC2086,SC2016 # DAEMON_OPTS is a list of words; a $ in the options is literal',
          `\t"$NODE" -- "$TASKDAEMON" start ${EXAMPLE} \${CONFIG:+--config "$CONFIG"} --name "$NAME" --pidfile "$PIDFILE" ` +
            "--user nobody --umask 027 --env 'GREETING=hello world $HOME 100%' --oknodo $DAEMON_OPTS -- --port 8080 'two words' 50% '$HOME' ';' >/dev/null",
        ],
      },
    ]);

    const file = path.join(tmpDir(), 'http-server');
    fs.writeFileSync(file, r.stdout);
    const n = spawnSync('sh', ['-n', file], { encoding: 'utf8' });
    expect({ status: n.status, stderr: n.stderr }).toEqual({ status: 0, stderr: '' });
    const sc = spawnSync('shellcheck', ['-s', 'sh', file], { encoding: 'utf8' });
    if (sc.error) return; // not installed: the project does not depend on it
    expect({ status: sc.status, stdout: sc.stdout }).toEqual({ status: 0, stdout: '' });
  });

  it('the grace period sets STOP_RETRY, a path with a quote is one shell word', async () => {
    const dir = tmpDir();
    const pidfile = path.join(dir, "it's here", 'api.pid');
    const r = await td(['install', 'initd', EXAMPLE, '--name', 'api', '--grace', '50', '--pidfile', pidfile]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toContain('STOP_RETRY=TERM/55/KILL/5');
    expect(lines(r.stdout)).toContain(`PIDFILE='${pidfile.replace(/'/g, `'\\''`)}'`);
    const file = path.join(dir, 'api');
    fs.writeFileSync(file, r.stdout);
    // The script's own view of its settings: the defaults file may print them.
    const defaults = path.join(dir, 'defaults');
    fs.writeFileSync(defaults, 'printf "%s|%s|%s\\n" "$NAME" "$PIDFILE" "$STOP_RETRY"; exit 0\n');
    const out = spawnSync('sh', [file, 'status'], { encoding: 'utf8', env: { ...process.env, TASKDAEMON_DEFAULTS_FILE: defaults } });
    expect(out.stdout).toBe(`api|${pidfile}|TERM/55/KILL/5\n`);
  });
});

describe('install socket', () => {
  const SOCKET = 'systemd/taskdaemon-notify@.socket';

  it("the shipped socket unit with the daemon's name and addresses; verifies beside the notify unit install renders", async () => {
    const r = await td(['install', 'socket', 'http-server', '--listen', '127.0.0.1:9000', '--listen', '[::1]:9000', '--listen', '/run/td-100%.sock']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const changed = { 'Unit.Description': ['Socket for http-server (taskdaemon)'], 'Socket.ListenStream': ['127.0.0.1:9000', '[::1]:9000', '/run/td-100%%.sock'] };
    expect(changedDirectives(shipped(SOCKET), r.stdout)).toEqual(changed);
    onlyTheseChanged(SOCKET, r.stdout, changed);
    // Without --listen, the shipped address.
    const plain = await td(['install', 'socket', 'http-server']);
    expect(changedDirectives(shipped(SOCKET), plain.stdout)).toEqual({ 'Unit.Description': ['Socket for http-server (taskdaemon)'] });

    // A socket names the service it starts: verify them side by side, as systemd loads them.
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'http-server.socket'), r.stdout);
    fs.writeFileSync(path.join(dir, 'http-server.service'), (await td(['install', 'systemd', EXAMPLE, '--type', 'notify'])).stdout);
    const v = spawnSync('/usr/bin/systemd-analyze', ['verify', '--man=no', '--recursive-errors=no', path.join(dir, 'http-server.socket')], {
      encoding: 'utf8',
      env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` },
    });
    expect({ status: v.status, stdout: v.stdout, stderr: v.stderr }).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('a bad address, no name, program arguments, or --listen for another kind: exit 2, one line, nothing written', async () => {
    const dir = tmpDir();
    const out = path.join(dir, 'api.socket');
    for (const bad of ['70000', 'localhost:80', 'a b']) {
      const r = await td(['install', 'socket', 'api', '--listen', bad, '--output', out]);
      expect(r.code, bad).toBe(2);
      expect(lines(r.stderr)[0]).toBe(`taskdaemon: invalid --listen '${bad}': expected PORT, IPV4:PORT, [IPV6]:PORT, /PATH or @ABSTRACT`);
    }
    expect(lines((await td(['install', 'socket'])).stderr)[0]).toBe('taskdaemon: install socket: which daemon? give its name');
    expect((await td(['install', 'socket', 'api', 'more'])).code).toBe(2);
    const other = await td(['install', 'systemd', EXAMPLE, '--listen', '8080', '--output', out]);
    expect(other.code).toBe(2);
    expect(lines(other.stderr)[0]).toBe('taskdaemon: --listen is for install socket: a service gets its sockets from NAME.socket');
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('install: errors and --output', () => {
  it('an unknown or missing kind is exit 2 with a hint', async () => {
    const r = await td(['install', 'upstart', EXAMPLE]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)[0]).toBe("taskdaemon: unknown service kind 'upstart': expected systemd, initd, socket or logrotate");
    expect(r.stderr).toContain('usage: taskdaemon install systemd|initd');
    const none = await td(['install']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('systemd, initd, socket or logrotate');
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

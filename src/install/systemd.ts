// Renders a systemd unit for a daemon: Type=forking runs `taskdaemon start`
// (systemd reads the pidfile once start returns, i.e. once the daemon is
// ready); Type=notify runs `taskdaemon run`, which sends READY=1 itself.
// Every value is escaped for systemd.service(5) "COMMAND LINES" and specifiers.
import * as path from 'node:path';
import { EXIT } from '../exit-codes';
import { TaskdaemonError } from '../errors';
import { logFiles, optionFlags, stopSeconds, systemPaths, type InstallInput } from './input';

export type UnitType = 'forking' | 'notify';

const SAFE_WORD = /^[A-Za-z0-9_@+=:,./-]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

function refuseControlChars(value: string): void {
  if (CONTROL.test(value)) {
    throw new TaskdaemonError(`cannot write ${JSON.stringify(value)} into a unit file: it holds a control character`, {
      exitCode: EXIT.INVALID_ARGS,
      code: 'ERR_INVALID_ARG_VALUE',
    });
  }
}

// % starts a specifier in every setting that takes a path or a command.
function noSpecifiers(value: string): string {
  return value.replace(/%/g, '%%');
}

// One word of an Exec*= line: double-quoted unless plainly safe; inside the
// quotes \ and " are C-escaped, $ is written $$ (no variable expansion) and
// % is written %% (no specifier). Quoting also keeps a lone ";" an argument.
export function execWord(value: string): string {
  if (SAFE_WORD.test(value)) return value;
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\$/g, () => '$$')
    .replace(/%/g, '%%')
    .replace(/\t/g, '\\t')
    .replace(/\n/g, '\\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `"${escaped}"`;
}

export function execLine(argv: string[]): string {
  return argv.map(execWord).join(' ');
}

// A path in a space-separated list setting (ReadWritePaths=): quoted when it
// holds anything but plain characters, specifiers escaped.
function listPath(p: string): string {
  refuseControlChars(p);
  const v = noSpecifiers(p);
  return SAFE_WORD.test(p) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

// A path that is a setting's whole value (PIDFile=): taken verbatim, bar specifiers.
function singlePath(p: string): string {
  refuseControlChars(p);
  return noSpecifiers(p);
}

function under(p: string, dirs: string[]): boolean {
  return dirs.some((d) => p === d || p.startsWith(d + '/'));
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

const HOME_DIRS = ['/home', '/root', '/run/user'];
const TMP_DIRS = ['/tmp', '/var/tmp'];

export function renderSystemdUnit(o: InstallInput, kind: UnitType): string {
  const mode = kind === 'forking' ? 'start' : 'run';
  // Paths go into settings and comments where no escape exists for a newline.
  for (const v of [o.entry, o.node, o.bin, o.pidfile, o.cwd, o.stdout, o.stderr, o.stateFile ?? '']) refuseControlChars(v);

  // Directories the daemon writes to. The CLI creates missing ones itself, but
  // under ProtectSystem=strict their parents are read-only, and ReadWritePaths=
  // fails the unit (226/NAMESPACE) when a path is missing: ExecStartPre creates
  // them first, unsandboxed ("+"), as root would. The default state directory is
  // 0700 like the one `start` makes (it then hands it to --user).
  const stateDir = o.stateFile ? path.dirname(o.stateFile) : null;
  const defaultStateDir = o.stateFile === systemPaths(o.name).stateFile;
  const writable = unique([
    ...(kind === 'forking' ? [path.dirname(o.pidfile)] : []),
    ...logFiles(o, mode).map((f) => path.dirname(f)),
  ]).filter((d) => d !== stateDir);

  // Everything the service reads or writes, for the choice of ProtectHome= and PrivateTmp=.
  const absArgs = [...o.args, ...(o.extraFlags ?? [])].filter((a) => a.startsWith('/') && !CONTROL.test(a));
  const touched = [o.node, o.bin, o.entry, o.cwd, ...writable, ...(stateDir ? [stateDir] : []), ...absArgs];

  const argv =
    kind === 'forking'
      ? [o.node, '--', o.bin, 'start', o.entry, '--name', o.name, '--pidfile', o.pidfile]
      : [o.node, '--', o.bin, 'run', o.entry, '--name', o.name, '--no-pidfile'];
  argv.push(...optionFlags(o, mode));
  if (o.args.length) argv.push('--', ...o.args);

  const lines = [
    '# Rendered by `taskdaemon install systemd`.',
    '[Unit]',
    `Description=${o.name} (taskdaemon)`,
    'After=network.target',
    '',
    '[Service]',
    `Type=${kind}`,
  ];
  if (kind === 'forking') {
    // systemd warns about /var/run and reads the same file through /run.
    lines.push(`PIDFile=${singlePath(o.pidfile.replace(/^\/var\/run\//, '/run/'))}`);
  } else {
    // Only the daemon itself speaks for the service: `run` does not fork.
    lines.push('NotifyAccess=main');
    if (o.watchdogSec !== undefined) lines.push(`WatchdogSec=${seconds(o.watchdogSec * 1000)}`);
  }
  if (writable.length) lines.push(`ExecStartPre=+${execLine(['/bin/mkdir', '-p', ...writable])}`);
  if (stateDir) lines.push(`ExecStartPre=+${execLine(['/bin/mkdir', '-p', ...(defaultStateDir ? ['-m', '0700'] : []), stateDir])}`);
  lines.push(`ExecStart=${execLine(argv)}`);
  // A plain SIGHUP reloads; stopping is systemd's own SIGTERM to the main process.
  lines.push('ExecReload=/bin/kill -HUP $MAINPID');
  // on-failure covers non-zero exits, signals, and (notify) watchdog timeouts.
  lines.push('Restart=on-failure');
  // start exits only when the daemon is ready, or after --ready-timeout: leave it that long.
  lines.push(`TimeoutStartSec=${Math.ceil(o.readyTimeoutMs / 1000) + 5}s`);
  lines.push(`TimeoutStopSec=${stopSeconds(o)}s`);
  // mixed: SIGTERM goes to the daemon alone, which drains its work and stops
  // its own children in order; whatever is left when TimeoutStopSec= runs out
  // gets SIGKILL. control-group would TERM the children behind its back.
  lines.push('KillMode=mixed');
  if (o.nofile !== undefined) lines.push(`LimitNOFILE=${o.nofile}`);

  // Hardening that leaves node's JIT alone (no MemoryDenyWriteExecute=) and
  // lets the CLI, which runs as root, drop to --user itself.
  lines.push('NoNewPrivileges=yes', 'ProtectSystem=strict');
  const inHome = touched.filter((p) => under(p, HOME_DIRS));
  // yes hides /home, /root and /run/user; read-only keeps what the daemon lives in visible.
  lines.push(`ProtectHome=${inHome.length ? 'read-only' : 'yes'}`);
  const inTmp = touched.filter((p) => under(p, TMP_DIRS));
  if (inTmp.length === 0) lines.push('PrivateTmp=yes');
  // A private /tmp would hide these from the daemon, or its pidfile from systemd.
  else lines.push(`# No PrivateTmp=: ${unique(inTmp).join(', ')} lives in /tmp or /var/tmp.`);
  const rw = unique([...writable, ...(stateDir ? [stateDir] : [])]);
  if (rw.length) lines.push(`ReadWritePaths=${rw.map(listPath).join(' ')}`);

  lines.push('', '[Install]', 'WantedBy=multi-user.target', '');
  return lines.join('\n');
}

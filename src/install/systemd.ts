// Renders a systemd unit for a daemon from the shipped template unit of its
// type: Type=forking (systemd/taskdaemon@.service) runs `taskdaemon start`
// (systemd reads the pidfile once start returns, i.e. once the daemon is
// ready); Type=notify (systemd/taskdaemon-notify@.service) runs `taskdaemon
// run`, which sends READY=1 itself. Only the directives that name this daemon
// change; everything else, the hardening included, is the shipped line.
import * as path from 'node:path';
import { logFiles, optionFlags, renderedFlags, stopSeconds, systemPaths, type InstallInput } from './input';
import { readShipped, type ShippedName } from './shipped';
import { refuseSupervision } from '../supervisor/options';
import { CONTROL, execLine, listPath, noSpecifiers, refuseControlChars, singlePath } from './unit-escape';

export type UnitType = 'forking' | 'notify';

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

const TEMPLATE: { [k in UnitType]: ShippedName } = {
  forking: 'systemd/taskdaemon@.service',
  notify: 'systemd/taskdaemon-notify@.service',
};

// A directive's line (keys are unique in the shipped units).
const directive = (key: string): RegExp => new RegExp(`^${key}=`);

export function renderSystemdUnit(o: InstallInput, kind: UnitType): string {
  const mode = kind === 'forking' ? 'start' : 'run';
  if (kind === 'notify') refuseSupervision(o.options?.supervise ?? null, 'a Type=notify unit (taskdaemon run)', 'render a Type=forking unit (the default --type) for a supervised daemon');
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
  const absArgs = [...o.args, ...renderedFlags(o, mode)].filter((a) => a.startsWith('/') && !CONTROL.test(a));
  const touched = [o.node, o.bin, o.entry, o.cwd, ...writable, ...(stateDir ? [stateDir] : []), ...absArgs];

  const argv =
    kind === 'forking'
      ? [o.node, '--', o.bin, 'start', o.entry, '--name', o.name, '--pidfile', o.pidfile]
      : [o.node, '--', o.bin, 'run', o.entry, '--name', o.name, '--no-pidfile'];
  argv.push(...optionFlags(o, mode));
  if (o.args.length) argv.push('--', ...o.args);

  const unit = readShipped(TEMPLATE[kind]);
  const set = (key: string, ...values: string[]): void => void unit.replace(directive(key), values.map((v) => `${key}=${v}`));
  unit.replaceLeadingComment([
    `# ${o.name} (taskdaemon): rendered by \`taskdaemon install systemd\` from the shipped`,
    `# ${TEMPLATE[kind]} with this daemon's options; render it again after changing them.`,
  ]);
  set('Description', unit.line(directive('Description')).slice('Description='.length).replace('%i', noSpecifiers(o.name)));
  // The options are all on the command line: no config file applies.
  unit.remove('Environment=TASKDAEMON_CONFIG=/etc/taskdaemon/%i.toml');
  // systemd warns about /var/run and reads the same file through /run.
  if (kind === 'forking') set('PIDFile', singlePath(o.pidfile.replace(/^\/var\/run\//, '/run/')));
  const mkdirs = [
    ...(writable.length ? [execLine(['/bin/mkdir', '-p', ...writable])] : []),
    ...(stateDir ? [execLine(['/bin/mkdir', '-p', ...(defaultStateDir ? ['-m', '0700'] : []), stateDir])] : []),
  ];
  if (mkdirs.length) set('ExecStartPre', ...mkdirs.map((l) => `+${l}`));
  else unit.remove(directive('ExecStartPre'));
  set('ExecStart', execLine(argv));
  if (kind === 'notify') {
    if (o.watchdogSec !== undefined) set('WatchdogSec', seconds(o.watchdogSec * 1000));
    else unit.remove(directive('WatchdogSec'));
  }
  // start exits only when the daemon is ready, or after --ready-timeout: leave it that long.
  set('TimeoutStartSec', `${Math.ceil(o.readyTimeoutMs / 1000) + 5}s`);
  set('TimeoutStopSec', `${stopSeconds(o)}s`);
  if (o.nofile !== undefined) set('LimitNOFILE', String(o.nofile));
  // Restarts are the supervisor's (--restart, DESIGN.md §8): two restarters fighting over one program would be worse than one.
  if (kind === 'forking' && o.options?.supervise && o.options.supervise.restart !== 'no') {
    unit.replace(directive('Restart'), [`# Not on-failure: taskdaemon restarts the program itself (--restart ${o.options.supervise.restart}); never both.`, 'Restart=no']);
    unit.remove(directive('RestartSec'));
  }

  // The shipped hardening stays, but for these two where the daemon's own paths
  // need it: read-only keeps what the daemon lives in visible (ReadWritePaths=
  // still opens its directories), and a private /tmp would hide them from the
  // daemon, or its pidfile from systemd.
  const inHome = unique(touched.filter((p) => under(p, HOME_DIRS)));
  if (inHome.length) {
    unit.replace(directive('ProtectHome'), [`# Not yes, which hides /home, /root and /run/user: the daemon uses ${inHome.join(', ')}.`, 'ProtectHome=read-only']);
  }
  const inTmp = unique(touched.filter((p) => under(p, TMP_DIRS)));
  if (inTmp.length) {
    unit.replace(directive('PrivateTmp'), [`# Not yes, which gives the service its own /tmp and /var/tmp: the daemon uses ${inTmp.join(', ')}.`, 'PrivateTmp=no']);
  }
  // "-": as in the shipped unit; ExecStartPre has just made them.
  const rw = unique([...writable, ...(stateDir ? [stateDir] : [])]);
  if (rw.length) set('ReadWritePaths', rw.map((p) => listPath(`-${p}`)).join(' '));
  else unit.remove(directive('ReadWritePaths'));

  // A template line this renderer does not fill would expand %i to nothing in a plain unit.
  unit.refuseLeft(/^[^#].*(?<!%)(%%)*%i/, 'a line that names the template instance (%i)');
  return unit.text();
}

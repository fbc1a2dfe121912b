// taskdaemon install systemd|initd|socket|logrotate: render a service file (or
// the log rotation snippet) for the daemon, to stdout or atomically to --output.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from '../../exit-codes';
import { TaskdaemonError } from '../../errors';
import { parseDuration, resolveOptions, type DaemonOptions } from '../../options';
import { installInputFrom, withSystemPaths } from '../../install/input';
import { renderInitScript } from '../../install/initd';
import { renderSystemdUnit, type UnitType } from '../../install/systemd';
import { renderLogrotate } from '../../install/logrotate';
import { renderSocketUnit } from '../../install/socket';
import { validateName } from '../../paths';
import { logrotateInputFrom } from '../../install/logrotate-input';
import { out } from '../output';
import { mergeConfig } from '../../config/load';
import { daemonOptionsFromFlags, loadLayers, type DaemonFlags } from '../shared';

export interface InstallFlags extends DaemonFlags {
  output?: string;
  type?: UnitType;
  watchdog?: string;
  force?: boolean;
  listen?: string[];
}

const USAGE =
  'usage: taskdaemon install systemd|initd <entry> [options] [-- args...]\n' +
  '       taskdaemon install socket <name> [--listen ADDRESS]...\n' +
  '       taskdaemon install logrotate <name> [options]';

function invalid(message: string, hint?: string): TaskdaemonError {
  return new TaskdaemonError(message, { exitCode: EXIT.INVALID_ARGS, code: 'ERR_INVALID_ARG_VALUE', ...(hint ? { hint } : {}) });
}

// "0" or "off": no watchdog; otherwise a duration, in seconds.
function watchdogSeconds(value: string | undefined): number | undefined {
  if (value === '0' || value === 'off') return undefined;
  return parseDuration(value ?? '30', '--watchdog') / 1000;
}

// --force replaces a file, never a device, FIFO, socket or directory: renaming
// over /dev/null as root would leave every writer of /dev/null a regular file.
function refuseSpecialFile(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return; // nothing there
  }
  if (!st.isFile() && !st.isSymbolicLink()) {
    throw new TaskdaemonError(`${file} exists and is not a regular file; not replacing it`, { exitCode: EXIT.FAILURE, code: 'ERR_OUTPUT_NOT_FILE' });
  }
}

// Rendering a unit with --user needs no root: the names are checked, the ids are not used.
// Temp file and rename: a reader never sees half a file. Without --force, link()
// puts it in place only if nothing is there, with no window for a race.
function writeAtomically(file: string, text: string, mode: number, force: boolean): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, mode);
  try {
    try {
      fs.writeSync(fd, text);
      fs.fchmodSync(fd, mode); // exactly this mode, whatever the umask
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (force) {
      refuseSpecialFile(file);
      fs.renameSync(tmp, file);
      return;
    }
    try {
      fs.linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      throw new TaskdaemonError(`${file} exists`, { exitCode: EXIT.FAILURE, code: 'ERR_OUTPUT_EXISTS', hint: 'add --force to overwrite it' });
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

export async function installCommand(kind: string | undefined, entry: string | undefined, args: string[], f: InstallFlags): Promise<number> {
  if (kind === 'socket') return installSocket(entry, args, f);
  if (f.listen) throw invalid('--listen is for install socket: a service gets its sockets from NAME.socket', USAGE);
  if (kind === 'logrotate') return installLogrotate(entry, args, f);
  if (kind !== 'systemd' && kind !== 'initd') {
    throw invalid(kind ? `unknown service kind '${kind}': expected systemd, initd, socket or logrotate` : 'which kind of file? systemd, initd, socket or logrotate', USAGE);
  }
  const type = f.type ?? 'forking';
  if (type !== 'forking' && type !== 'notify') throw invalid(`invalid --type '${String(type)}': expected forking or notify`);
  // The unit captures the effective configuration (file < environment < flags) as explicit flags.
  const layers = loadLayers(f.config);
  const flags = mergeConfig(layers.file, layers.env, daemonOptionsFromFlags(entry, args, f)) as DaemonOptions;
  const o = resolveOptions(withSystemPaths(flags), { service: true });
  const input = installInputFrom(o, { ...(flags.user && { user: flags.user }), ...(flags.group && { group: flags.group }) });
  let text: string;
  if (kind === 'systemd') {
    const watchdogSec = type === 'notify' ? watchdogSeconds(f.watchdog) : undefined;
    if (watchdogSec !== undefined) input.watchdogSec = watchdogSec;
    text = renderSystemdUnit(input, type);
  } else {
    text = renderInitScript(input);
  }
  return emit(text, kind === 'initd' ? 0o755 : 0o644, f);
}

function emit(text: string, mode: number, f: InstallFlags): number {
  if (!f.output) {
    fs.writeSync(1, text);
    return EXIT.OK;
  }
  const file = path.resolve(f.output);
  writeAtomically(file, text, mode, f.force === true);
  out(`wrote ${file}`);
  return EXIT.OK;
}

// install socket NAME: NAME.socket for the NAME.service that `install systemd
// --type notify` renders; only the name and the addresses are its own.
function installSocket(nameArg: string | undefined, args: string[], f: InstallFlags): number {
  if (args.length) throw invalid(`install socket takes no program arguments: '${args.join(' ')}'`, USAGE);
  const name = (f.name as string | undefined) ?? nameArg;
  if (!name) throw invalid('install socket: which daemon? give its name', USAGE);
  return emit(renderSocketUnit(validateName(name), f.listen ?? []), 0o644, f);
}

// install logrotate NAME: the positional is the daemon's name; its logs,
// pidfile and user come from the flags, environment and config like `start`'s.
function installLogrotate(nameArg: string | undefined, args: string[], f: InstallFlags): number {
  if (args.length) throw invalid(`install logrotate takes no program arguments: '${args.join(' ')}'`, USAGE);
  const layers = loadLayers(f.config);
  const merged = mergeConfig(layers.file, layers.env, daemonOptionsFromFlags(undefined, [], f));
  // logrotate reads /etc/logrotate.d files only when no one but root can write them: 0644.
  return emit(renderLogrotate(logrotateInputFrom((f.name as string | undefined) ?? nameArg, merged)), 0o644, f);
}

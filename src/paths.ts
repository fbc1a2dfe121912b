// Default locations and daemon names. Root daemons live in /run and /var/log
// (FHS); an unprivileged caller gets per-user directories it alone can write.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from './exit-codes';
import { TaskdaemonError } from './errors';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

export function isRoot(): boolean {
  return process.geteuid?.() === 0;
}

export function validateName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new TaskdaemonError(`invalid name '${name}'`, {
      exitCode: EXIT.INVALID_ARGS,
      code: 'ERR_INVALID_NAME',
      key: 'name',
      hint: 'a name is 1-64 letters, digits, or . _ @ - and starts with a letter or digit',
    });
  }
  return name;
}

// "examples/http-server.mjs" -> "http-server"; "app/index.js" -> "app".
export function nameFromEntry(entry: string): string {
  const base = path.basename(entry).replace(/\.(c|m)?(j|t)s$/, '');
  if (base === 'index' || base === 'main') return path.basename(path.dirname(path.resolve(entry)));
  return base;
}

export function defaultRunDir(): string {
  if (isRoot()) return '/run/taskdaemon';
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'taskdaemon');
  return privateTmpDir();
}

// Fallback run directory of an unprivileged caller without XDG_RUNTIME_DIR.
function privateTmpDir(): string {
  return path.join(os.tmpdir(), `taskdaemon-${process.geteuid!()}`);
}

export function defaultLogDir(): string {
  if (isRoot()) return '/var/log/taskdaemon';
  const xdg = process.env.XDG_STATE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'taskdaemon');
  return path.join(os.homedir(), '.local', 'state', 'taskdaemon');
}

export function defaultStateDir(): string {
  if (isRoot()) return '/var/lib/taskdaemon';
  const xdg = process.env.XDG_STATE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'taskdaemon');
  return path.join(os.homedir(), '.local', 'state', 'taskdaemon');
}

// One directory per daemon, owned by the daemon's user (like systemd's StateDirectory=).
export function defaultStateFile(name: string): string {
  return path.join(defaultStateDir(), name, 'state.json');
}

// The control socket lives next to the pidfile and shares its fate (DESIGN.md §4).
export function controlSocketPath(pidfile: string): string {
  return pidfile.endsWith('.pid') ? pidfile.slice(0, -4) + '.sock' : pidfile + '.sock';
}

export function defaultPidfile(name: string): string {
  return path.join(defaultRunDir(), `${name}.pid`);
}

export function defaultLogFile(name: string): string {
  return path.join(defaultLogDir(), `${name}.log`);
}

// taskdaemon creates its own default directories, and only those: a missing
// directory anywhere else is a typo to report, not a tree for root to create.
export function isDefaultDir(dir: string): boolean {
  const d = path.resolve(dir);
  return d === defaultRunDir() || d === defaultLogDir() || d === defaultStateDir() || path.dirname(d) === defaultStateDir();
}

/** Throws (exit 2) when `file`'s directory is missing and is not one taskdaemon makes itself. */
export function checkParentDir(file: string, key: string): void {
  const dir = path.dirname(file);
  if (isDefaultDir(dir)) return;
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch {
    st = undefined;
  }
  if (st?.isDirectory()) return;
  throw new TaskdaemonError(`invalid --${key} '${file}': ${st ? `${dir} is not a directory` : `directory ${dir} does not exist`}`, {
    exitCode: EXIT.INVALID_ARGS,
    code: 'ERR_NO_SUCH_DIR',
    key,
    hint: `create ${dir} first, or leave --${key} out to use taskdaemon's default`,
  });
}

// Create a parent directory if it is one of ours (see isDefaultDir). Our
// per-user fallback in /tmp must be ours and private, or another user could
// have planted it to swap our pidfile.
export function ensureDir(dir: string): void {
  const mode = isRoot() ? 0o755 : 0o700;
  if (!isDefaultDir(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new TaskdaemonError(`${dir} is not a directory`, { code: 'ERR_NO_SUCH_DIR' });
    return;
  }
  fs.mkdirSync(dir, { recursive: true, mode });
  if (isRoot() || dir !== privateTmpDir()) return;
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || st.uid !== process.geteuid!() || (st.mode & 0o077) !== 0) {
    throw new TaskdaemonError(`refusing to use ${dir}: not a private directory owned by uid ${process.geteuid!()}`, {
      exitCode: EXIT.NO_PRIVILEGE,
      code: 'ERR_UNSAFE_DIR',
    });
  }
}

// Validation and resolution of what `start` and `run` were asked to do. Every
// check happens here, before anything is created, so bad input leaves nothing
// behind and gets one clear line with the LSB exit code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from './exit-codes';
import { TaskdaemonError } from './errors';
import type { Rlimit } from './native';
import { checkParentDir, defaultLogFile, defaultPidfile, defaultStateFile, nameFromEntry, validateName } from './paths';
import { LEVELS, type Level, type LogFormat } from './runtime/logger';
import { resolveCredentials, type Credentials } from './users';
import { parseDuration } from './duration';
import { readEnvFile, resolveEnvFileSpec } from './env-file';
import { resolveSupervision, type Supervision, type SupervisionInput } from './supervisor/options';
import { entryKind, type EntryKind } from './program-kind';
import { parseReady, type ReadySpec } from './ready-spec';

// SupervisionInput: --restart, --restart-delay(-max), --restart-limit, --listen, --instances (src/supervisor/options.ts).
export interface DaemonOptions extends SupervisionInput {
  /** The program to run: a module with a defineDaemon() default export, or a plain script. */
  entry: string;
  /** Arguments the daemon sees as process.argv.slice(2). */
  args?: string[];
  name?: string;
  /** Path of the PID file; `false` (run only) for none. */
  pidfile?: string | false;
  user?: string;
  group?: string;
  /** Octal string ("027") or number (0o027). Default 022. */
  umask?: string | number;
  /** Working directory of the daemon. Default "/". */
  chdir?: string;
  stdout?: string;
  stderr?: string;
  /** Extra environment: ["K=V", ...] or { K: "V" }. */
  env?: string[] | { [key: string]: string };
  /** Environment files in systemd's EnvironmentFile= format; "-FILE" may be missing. */
  envFile?: string | string[];
  /** Variables to take from the caller's environment. */
  passEnv?: string | string[];
  /** Give the daemon the caller's whole environment (default: a clean one). */
  inheritEnv?: boolean;
  /** Seconds `start` waits for readiness. Default 60. */
  readyTimeout?: number | string;
  /** Seconds shutdown waits for tracked work before giving up. Default 30. */
  grace?: number | string;
  /** Lifecycle log lines as text (default) or JSON. */
  logFormat?: string;
  /** Lines below this level are not written: debug, info (default), warn, error. */
  logLevel?: string;
  /** The config file these options came from (a reload re-reads its log_level). */
  configFile?: string | null;
  /** File for ctx.state; `false` for none. Default: <state dir>/<name>/state.json. */
  stateFile?: string | false;
  /** Reload when this file changes. */
  watchConfig?: string;
  /** RLIMIT_NOFILE (soft and hard). */
  nofile?: number | string;
  /** RLIMIT_CORE in bytes, or "unlimited". */
  core?: number | string;
  /** RLIMIT_CORE 0: no core dumps (wins over core). */
  preventCore?: boolean;
  /** Scheduling priority, -20 (first) to 19 (last). */
  nice?: number | string;
  /** Serve GET /health and /ready on this port. */
  healthPort?: number | string;
  /** Address for the health port. Default 127.0.0.1. */
  healthHost?: string;
  /** When start counts it ready: exec, notify, tcp:HOST:PORT or unix:PATH (default: the runtime's own for Node, exec for a program). */
  ready?: string;
}

/** Options for `stop`, `restart` and friends that a file or the environment can set. */
export interface ControlOptions {
  stopTimeout?: number | string;
  retry?: string;
  oknodo?: boolean;
}

/** What the config file, the environment and the flags each set, before validation. */
export type ConfigOptions = Partial<DaemonOptions> & ControlOptions;

export interface ResolvedOptions {
  entry: string;
  args: string[];
  name: string;
  pidfile: string | null;
  credentials: Credentials | null;
  umask: number;
  cwd: string;
  stdout: string;
  stderr: string;
  env: { [key: string]: string };
  /** Read when the daemon starts (and checked now): later ones win, --env wins over all. */
  envFiles: string[];
  passEnv: string[];
  inheritEnv: boolean;
  readyTimeoutMs: number;
  graceMs: number;
  logFormat: LogFormat;
  logLevel: Level;
  configFile: string | null;
  stateFile: string | null;
  /** True for the default per-daemon state directory, which start creates for the daemon's user. */
  stateDirIsDefault: boolean;
  watchConfig: string | null;
  rlimits: Rlimit[];
  nice: number | null;
  healthPort: number | null;
  healthHost: string;
  /** A supervisor runs the program as its child instances (DESIGN.md §8); null: the daemon is the program itself. */
  supervise: Supervision | null;
  /** 'node': runs under taskdaemon's runtime; 'program': exec'd itself (program-kind.ts). */
  kind: EntryKind;
  ready: ReadySpec;
}

export const DEFAULT_UMASK = 0o022;
export const DEFAULT_GRACE_S = 30;
export const DEFAULT_READY_TIMEOUT_S = 60;

function invalid(message: string, hint: string | undefined, key: string): TaskdaemonError {
  return new TaskdaemonError(message, { exitCode: EXIT.INVALID_ARGS, code: 'ERR_INVALID_ARG_VALUE', key, ...(hint ? { hint } : {}) });
}

export function parseUmask(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 0o777) return value;
  } else if (/^0?[0-7]{1,3}$/.test(value)) {
    return parseInt(value, 8);
  }
  throw invalid(`invalid umask '${String(value)}': expected an octal mode from 000 to 777`, 'for example --umask 027', 'umask');
}

export { parseDuration } from './duration';

export function parseEnv(env: DaemonOptions['env']): { [key: string]: string } {
  if (!env) return {};
  if (!Array.isArray(env)) return { ...env };
  const out: { [key: string]: string } = {};
  for (const kv of env) {
    const eq = kv.indexOf('=');
    const key = eq > 0 ? kv.slice(0, eq) : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw invalid(`invalid --env '${kv}': expected KEY=VALUE`, undefined, 'env');
    out[key] = kv.slice(eq + 1);
  }
  return out;
}

const listOf = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function parseNames(v: string | string[] | undefined): string[] {
  const names = listOf(v);
  for (const n of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw invalid(`invalid --pass-env '${n}': expected a variable name`, 'for example --pass-env HTTPS_PROXY', 'pass-env');
  }
  return names;
}

function parseInteger(value: number | string, what: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(`invalid ${what} '${String(value)}': expected an integer from ${min} to ${max}`, undefined, what.replace(/^--/, ''));
  return n;
}

export function parseLimits(o: Pick<DaemonOptions, 'nofile' | 'core' | 'preventCore'>): Rlimit[] {
  const out: Rlimit[] = [];
  if (o.nofile !== undefined) {
    const n = parseInteger(o.nofile, '--nofile', 1, 1 << 30);
    out.push({ resource: 'nofile', soft: n, hard: n });
  }
  if (o.preventCore) out.push({ resource: 'core', soft: 0, hard: 0 });
  else if (o.core !== undefined) {
    const n = o.core === 'unlimited' ? -1 : parseInteger(o.core, '--core', 0, Number.MAX_SAFE_INTEGER);
    out.push({ resource: 'core', soft: n, hard: n });
  }
  return out;
}

export function parseLogFormat(v: string | undefined): LogFormat {
  if (v === undefined || v === 'text' || v === 'json') return v ?? 'text';
  throw invalid(`invalid --log-format '${v}': expected text or json`, undefined, 'log-format');
}

export function parseLogLevel(v: string | undefined): Level {
  if (v === undefined) return 'info';
  if ((LEVELS as readonly string[]).includes(v)) return v as Level;
  throw invalid(`invalid --log-level '${v}': expected debug, info, warn or error`, undefined, 'log-level');
}

export function resolveEntry(entry: string): string {
  const abs = path.resolve(entry);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new TaskdaemonError(`entry not found: ${abs}`, { exitCode: EXIT.NOT_INSTALLED, code: 'ERR_ENTRY_NOT_FOUND' });
  }
  if (!st.isFile()) {
    throw new TaskdaemonError(`entry is not a file: ${abs}`, { exitCode: EXIT.NOT_INSTALLED, code: 'ERR_ENTRY_NOT_FOUND' });
  }
  return abs;
}

// A program is exec'd itself: without any execute bit execve can only fail (EACCES), so say it now, and how to fix it.
function checkExecutable(entry: string): void {
  if ((fs.statSync(entry).mode & 0o111) !== 0) return;
  throw new TaskdaemonError(`entry ${entry} is a program (not JavaScript), but it is not executable`, {
    exitCode: EXIT.NO_PRIVILEGE,
    code: 'ERR_NOT_EXECUTABLE',
    hint: `chmod +x ${entry}; a program is run itself, as execve(2) runs it (a script by its #! line)`,
  });
}

function resolveDir(dir: string): string {
  const abs = path.resolve(dir);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(abs);
  } catch {
    st = undefined;
  }
  if (!st?.isDirectory()) throw invalid(`invalid --chdir '${dir}': not a directory`, undefined, 'chdir');
  return abs;
}

// A name taken from the entry's file name ("My Server.js") may not be a valid one: say where it came from.
function derivedName(entry: string): string {
  const name = nameFromEntry(entry);
  try {
    return validateName(name);
  } catch {
    const suggestion = name.toLowerCase().replace(/[^a-z0-9_.@-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64) || 'app';
    throw new TaskdaemonError(`the name '${name}', taken from the entry file ${path.basename(entry)}, is not a valid daemon name`, {
      exitCode: EXIT.INVALID_ARGS,
      code: 'ERR_INVALID_NAME',
      key: 'name',
      hint: `give one with --name, for example --name ${suggestion} (1-64 letters, digits, or . _ @ -, starting with a letter or digit)`,
    });
  }
}

export interface ResolveFor {
  /**
   * Rendering a service file (`install`) for the machine's later use: its
   * directories need not exist yet, and the caller need not be root to name a user.
   */
  service?: boolean;
}

export function resolveOptions(o: DaemonOptions, purpose: ResolveFor = {}): ResolvedOptions {
  if (!o.entry) throw invalid('missing entry', 'usage: taskdaemon start <entry> [-- args...], or entry = "..." in the config file', 'entry');
  // Cheap syntax checks first, then the file system, then NSS look-ups.
  const umask = o.umask === undefined ? DEFAULT_UMASK : parseUmask(o.umask);
  const readyTimeoutMs = parseDuration(o.readyTimeout ?? DEFAULT_READY_TIMEOUT_S, '--ready-timeout');
  const env = parseEnv(o.env);
  const passEnv = parseNames(o.passEnv);
  const graceMs = parseDuration(o.grace ?? DEFAULT_GRACE_S, '--grace');
  const logFormat = parseLogFormat(o.logFormat);
  const logLevel = parseLogLevel(o.logLevel);
  const rlimits = parseLimits(o);
  const nice = o.nice === undefined ? null : parseInteger(o.nice, '--nice', -20, 19);
  const healthPort = o.healthPort === undefined ? null : parseInteger(o.healthPort, '--health-port', 1, 65535);
  const name = o.name !== undefined ? validateName(o.name) : derivedName(o.entry);
  const supervise = resolveSupervision(o, name);
  const entry = resolveEntry(o.entry);
  const kind = entryKind(entry);
  if (kind === 'program') checkExecutable(entry);
  const ready = parseReady(o.ready, kind);
  const cwd = resolveDir(o.chdir ?? '/');
  const credentials = resolveCredentials(o.user, o.group, { needRoot: !purpose.service });
  const envFiles = listOf(o.envFile).map((f) => resolveEnvFileSpec(f));
  for (const f of envFiles) readEnvFile(f); // a missing or unreadable file fails now, with exit 6
  const stdout = path.resolve(o.stdout ?? defaultLogFile(name));
  const stderr = path.resolve(o.stderr ?? stdout);
  const pidfile = o.pidfile === false ? null : path.resolve(o.pidfile ?? defaultPidfile(name));
  const stateFile = o.stateFile === false ? null : path.resolve(o.stateFile ?? defaultStateFile(name));
  for (const [file, key] of [[stdout, 'stdout'], [stderr, 'stderr'], [pidfile, 'pidfile'], [stateFile, 'state-file']] as const) {
    if (file && !purpose.service) checkParentDir(file, key);
  }
  return {
    entry,
    args: o.args ?? [],
    name,
    pidfile,
    credentials,
    umask,
    cwd,
    stdout,
    stderr,
    env,
    envFiles,
    passEnv,
    inheritEnv: o.inheritEnv ?? false,
    readyTimeoutMs,
    graceMs,
    logFormat,
    logLevel,
    configFile: o.configFile ?? null,
    stateFile,
    stateDirIsDefault: o.stateFile === undefined,
    watchConfig: o.watchConfig ? path.resolve(o.watchConfig) : null,
    rlimits,
    nice,
    healthPort,
    healthHost: o.healthHost ?? '127.0.0.1',
    supervise,
    kind,
    ready,
  };
}

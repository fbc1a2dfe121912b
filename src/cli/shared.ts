// Option plumbing shared by the commands.
import { Option, type Command } from 'commander';
import { EXIT } from '../exit-codes';
import { TaskdaemonError } from '../errors';
import { defaultPidfile, nameFromEntry, validateName } from '../paths';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { err } from './output';
import { findConfigFile, loadConfigFile, loadEnvOverrides, mergeConfig, type ConfigOptions } from '../config/load';
import { resolveOptions, type DaemonOptions, type ResolvedOptions } from '../options';
import { parseDuration } from '../duration';
import { parseRetry } from '../retry';

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

// Options of `start` and `run` (DESIGN.md §5).
export function addDaemonOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'daemon name (default: from the entry file name)')
    .option('--pidfile <file>', 'PID file (default: /run/taskdaemon/<name>.pid as root)')
    .option('--user <user>', 'run as this user (name or uid); needs root')
    .option('--group <group>', "run as this group (default: the user's primary group)")
    .option('--config <file>', 'taskdaemon.toml to read (default: $TASKDAEMON_CONFIG, else ./taskdaemon.toml if present)')
    .option('--umask <mode>', 'octal umask of the daemon (default: 022)')
    .option('--chdir <dir>', 'working directory of the daemon (default: /)')
    .option('--stdout <file>', 'append stdout to this file')
    .option('--stderr <file>', 'append stderr to this file (default: same as --stdout)')
    .option('--env <KEY=VALUE>', 'set an environment variable (repeatable)', collect)
    .option('--env-file <file>', "read variables from a file in systemd's EnvironmentFile= format; -FILE may be missing (repeatable)", collect)
    .option('--pass-env <name>', "take this variable from the caller's environment (repeatable)", collect)
    .option('--inherit-env', "give the daemon the caller's whole environment (default: a clean one)")
    .option('--ready-timeout <seconds>', 'how long start waits for readiness (default: 60)')
    .option('--grace <seconds>', 'how long shutdown waits for tracked work (default: 30)')
    .addOption(new Option('--log-format <format>', 'lifecycle log lines (default: text)').choices(['text', 'json']))
    .option('--state-file <file>', 'where ctx.state is kept (default: /var/lib/taskdaemon/<name>/state.json as root)')
    .option('--no-state-file', 'keep no ctx.state')
    .option('--watch-config <file>', 'reload when this file changes')
    .option('--nofile <n>', 'RLIMIT_NOFILE, soft and hard')
    .option('--core <bytes>', "RLIMIT_CORE in bytes, or 'unlimited'")
    .option('--prevent-core', 'no core dumps (RLIMIT_CORE 0)')
    .option('--nice <n>', 'scheduling priority, -20 to 19')
    .option('--health-port <port>', 'serve GET /health and /ready over HTTP on this port')
    .option('--health-host <addr>', 'address for --health-port (default: 127.0.0.1)');
}

export interface TargetOptions {
  config?: string;
  name?: string;
  pidfile?: string;
}

export interface Target {
  name: string;
  pidfile: string;
  /** The config file and environment, for commands that read more keys (stop timeout, health port). */
  merged: ConfigOptions;
}

// stop/status/...: the pidfile from --pidfile, or from the name (flag or
// argument), or from the config file and environment like `start` found it.
// The daemon a command is about: --name or the argument, else the config
// file's (or environment's) name, else its entry's. Also returns that config.
export function targetName(nameArg: string | undefined, o: { config?: string; name?: string }): { name: string | undefined; merged: ConfigOptions } {
  const layers = loadLayersLeniently(o.config);
  const merged = mergeConfig(layers.file, layers.env, {});
  return { name: o.name ?? nameArg ?? merged.name ?? (merged.entry ? nameFromEntry(merged.entry) : undefined), merged };
}

export function targetPidfile(nameArg: string | undefined, o: TargetOptions): Target {
  const target = targetName(nameArg, o);
  const merged = target.merged;
  let name = target.name;
  const pidfileOpt = o.pidfile ?? (merged.pidfile || undefined);
  if (pidfileOpt) {
    name ??= path.basename(pidfileOpt).replace(/\.pid$/, '');
    return { name, pidfile: path.resolve(pidfileOpt), merged };
  }
  if (!name) {
    throw new TaskdaemonError('which daemon? give its name or --pidfile', { exitCode: EXIT.INVALID_ARGS, code: 'ERR_NO_TARGET' });
  }
  return { name, pidfile: defaultPidfile(validateName(name)), merged };
}

export function addTargetOptions(cmd: Command): Command {
  return cmd
    .argument('[name]', 'the daemon name (or use --name / --pidfile / --config)')
    .option('--config <file>', 'taskdaemon.toml to read')
    .option('--name <name>', 'daemon name')
    .option('--pidfile <file>', 'PID file');
}

// Flags of `start` and `run` as commander hands them over (undefined: not given).
export interface DaemonFlags {
  config?: string;
  name?: string;
  pidfile?: string | false; // false: run --no-pidfile
  user?: string;
  group?: string;
  umask?: string;
  chdir?: string;
  stdout?: string;
  stderr?: string;
  env?: string[];
  envFile?: string[];
  passEnv?: string[];
  inheritEnv?: boolean;
  readyTimeout?: string;
  grace?: string;
  logFormat?: string;
  stateFile?: string | false; // false: --no-state-file
  watchConfig?: string;
  nofile?: string;
  core?: string;
  preventCore?: boolean;
  nice?: string;
  healthPort?: string;
  healthHost?: string;
}

export function daemonOptionsFromFlags(entry: string | undefined, args: string[], f: DaemonFlags): DaemonOptions {
  const o: Partial<DaemonOptions> = {};
  if (entry) o.entry = entry;
  const a = args[0] === '--' ? args.slice(1) : args; // commander keeps the separator
  if (a.length) o.args = a;
  const optional = ['name', 'pidfile', 'user', 'group', 'umask', 'chdir', 'stdout', 'stderr', 'env', 'envFile', 'passEnv', 'inheritEnv', 'readyTimeout', 'grace', 'logFormat',
    'stateFile', 'watchConfig', 'nofile', 'core', 'preventCore', 'nice', 'healthPort', 'healthHost'] as const;
  for (const key of optional) {
    if (f[key] !== undefined) Object.assign(o, { [key]: f[key] });
  }
  return o as DaemonOptions;
}

export interface Layers {
  configFile: string | null;
  file: ConfigOptions;
  env: ConfigOptions;
}

// The config file and TASKDAEMON_* variables, each validated on its own so an
// error names where the bad value came from.
export function loadLayers(configFlag: string | undefined): Layers {
  const configFile = findConfigFile(configFlag);
  return {
    configFile,
    file: configFile ? loadConfigFile(configFile).options : {},
    env: loadEnvOverrides(),
  };
}

// stop, status, reload, health and logs must still find a running daemon when
// its config file has since gained a typo: warn, and take what can be read
// (name, pidfile, entry, stdout) from the file as plain TOML, and from the
// environment's variables one by one.
export function loadLayersLeniently(configFlag: string | undefined): Layers {
  try {
    return loadLayers(configFlag);
  } catch (e) {
    if (!(e instanceof TaskdaemonError) || e.code !== 'ERR_BAD_CONFIG') throw e;
    err(`taskdaemon: warning: ${e.message}`);
    if (e.hint) err(e.hint);
    err('taskdaemon: warning: ignoring the configuration; finding the daemon by its name and pidfile');
  }
  const configFile = findConfigFile(configFlag);
  return { configFile, file: configFile ? bareKeys(configFile) : {}, env: bareEnv() };
}

const TARGET_KEYS = { name: 'name', pidfile: 'pidfile', entry: 'entry', stdout: 'stdout' } as const;

function bareKeys(file: string): ConfigOptions {
  const out: ConfigOptions = {};
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const data = (require('smol-toml') as { parse(text: string): { [k: string]: unknown } }).parse(fs.readFileSync(file, 'utf8'));
    for (const [key, opt] of Object.entries(TARGET_KEYS)) {
      const v = data[key];
      if (typeof v === 'string' && v) out[opt] = key === 'name' ? v : path.resolve(path.dirname(file), v);
    }
  } catch {
    /* not even TOML: nothing to take */
  }
  return out;
}

function bareEnv(): ConfigOptions {
  const out: ConfigOptions = {};
  for (const [key, opt] of Object.entries(TARGET_KEYS)) {
    const v = process.env[`TASKDAEMON_${key.toUpperCase()}`];
    if (v) out[opt] = key === 'name' ? v : path.resolve(v);
  }
  return out;
}

const camel = (key: string): string => key.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

// Flags > environment > file > defaults, then the same validation as flags.
// A bad value that came from the file or the environment is a configuration
// error (exit 6) and says so; one that came from a flag stays exit 2.
export interface Resolved {
  options: ResolvedOptions;
  merged: ConfigOptions;
  layers: Layers;
}

export function resolveDaemon(entry: string | undefined, args: string[], f: DaemonFlags): Resolved {
  const layers = loadLayers(f.config);
  const flags = daemonOptionsFromFlags(entry, args, f);
  const merged = mergeConfig(layers.file, layers.env, flags);
  try {
    return { options: resolveOptions(merged as DaemonOptions), merged, layers };
  } catch (e) {
    if (!(e instanceof TaskdaemonError) || !e.key || e.exitCode !== EXIT.INVALID_ARGS) throw e;
    const key = camel(e.key);
    // Only a value that came from the file or the environment is a configuration error.
    const source = key in flags ? null : key in layers.env ? 'environment' : key in layers.file ? layers.configFile : null;
    if (!source) throw e;
    throw new TaskdaemonError(`${source}: ${e.message}`, { exitCode: EXIT.NOT_CONFIGURED, code: 'ERR_BAD_CONFIG', key: e.key, ...(e.hint && { hint: e.hint }) });
  }
}

// stop and restart: --retry wins over --timeout; flags over the config file and
// environment. Both are checked now, even when nothing runs: a typo must not
// wait for the day the daemon is up to be found. A bad value from the file or
// the environment is a configuration error (6).
export function stopPlan(f: { timeout?: string; retry?: string }, merged: ConfigOptions): { timeoutMs: number; retry?: string } {
  const retry = f.retry ?? (f.timeout === undefined ? merged.retry : undefined);
  const fromConfig = (flag: string | undefined, key: string, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      if (flag !== undefined || !(e instanceof TaskdaemonError)) throw e;
      throw new TaskdaemonError(`configuration: [stop] ${key}: ${e.message}`, { exitCode: EXIT.NOT_CONFIGURED, code: 'ERR_BAD_CONFIG', ...(e.hint && { hint: e.hint }) });
    }
  };
  let timeoutMs = 30_000;
  fromConfig(f.timeout, 'timeout', () => {
    timeoutMs = parseDuration(f.timeout ?? merged.stopTimeout ?? 30, '--timeout');
  });
  if (retry) fromConfig(f.retry, 'retry', () => parseRetry(retry));
  return { timeoutMs, ...(retry && { retry }) };
}

// Option plumbing shared by the commands.
import { daemonOptionKeys } from '../option-table';
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

// Flags of `start`, `run`, `install` and `config` as commander hands them over
// (undefined: not given): the option table's keys (src/option-table.ts).
export type DaemonFlags = { config?: string; pidfile?: string | false } & { [K in Exclude<keyof DaemonOptions, 'pidfile'>]?: DaemonOptions[K] | string | string[] | boolean };

export function daemonOptionsFromFlags(entry: string | undefined, args: string[], f: DaemonFlags): DaemonOptions {
  const o: Partial<DaemonOptions> = {};
  if (entry) o.entry = entry;
  const a = args[0] === '--' ? args.slice(1) : args; // commander keeps the separator
  if (a.length) o.args = a;
  for (const key of daemonOptionKeys()) {
    const v = (f as { [k: string]: unknown })[key];
    if (v !== undefined) Object.assign(o, { [key]: v });
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
    return { options: resolveOptions({ ...(merged as DaemonOptions), configFile: layers.configFile }), merged, layers };
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

// Option plumbing shared by the commands.
import { Option, type Command } from 'commander';
import { EXIT } from '../exit-codes';
import { TaskdaemonError } from '../errors';
import { defaultPidfile, validateName } from '../paths';
import * as path from 'node:path';
import type { DaemonOptions } from '../options';

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

// Options of `start` and `run` (DESIGN.md §5).
export function addDaemonOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'daemon name (default: from the entry file name)')
    .option('--pidfile <file>', 'PID file (default: /run/taskdaemon/<name>.pid as root)')
    .option('--user <user>', 'run as this user (name or uid); needs root')
    .option('--group <group>', "run as this group (default: the user's primary group)")
    .option('--umask <mode>', 'octal umask of the daemon', '022')
    .option('--chdir <dir>', 'working directory of the daemon', '/')
    .option('--stdout <file>', 'append stdout to this file')
    .option('--stderr <file>', 'append stderr to this file (default: same as --stdout)')
    .option('--env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [] as string[])
    .addOption(new Option('--ready-timeout <seconds>', 'how long start waits for readiness').default('60'))
    .option('--grace <seconds>', 'how long shutdown waits for tracked work', '30')
    .addOption(new Option('--log-format <format>', 'lifecycle log lines').choices(['text', 'json']).default('text'))
    .option('--state-file <file>', 'where ctx.state is kept (default: /var/lib/taskdaemon/<name>/state.json as root)')
    .option('--no-state-file', 'keep no ctx.state')
    .option('--watch-config <file>', 'reload when this file changes')
    .option('--nofile <n>', 'RLIMIT_NOFILE, soft and hard')
    .option('--core <bytes>', "RLIMIT_CORE in bytes, or 'unlimited'")
    .option('--prevent-core', 'no core dumps (RLIMIT_CORE 0)')
    .option('--nice <n>', 'scheduling priority, -20 to 19');
}

export interface TargetOptions {
  name?: string;
  pidfile?: string;
}

// stop/status: the pidfile from --pidfile, or from the name (flag or argument).
export function targetPidfile(nameArg: string | undefined, o: TargetOptions): { name: string; pidfile: string } {
  const name = o.name ?? nameArg;
  if (o.pidfile) return { name: name ?? path.basename(o.pidfile).replace(/\.pid$/, ''), pidfile: path.resolve(o.pidfile) };
  if (!name) {
    throw new TaskdaemonError('which daemon? give its name or --pidfile', { exitCode: EXIT.INVALID_ARGS, code: 'ERR_NO_TARGET' });
  }
  return { name, pidfile: defaultPidfile(validateName(name)) };
}

// Flags of `start` and `run` as commander hands them over.
export interface DaemonFlags {
  name?: string;
  pidfile?: string | false; // false: run --no-pidfile
  user?: string;
  group?: string;
  umask: string;
  chdir: string;
  stdout?: string;
  stderr?: string;
  env: string[];
  readyTimeout: string;
  grace: string;
  logFormat: string;
  stateFile?: string | false; // false: --no-state-file
  watchConfig?: string;
  nofile?: string;
  core?: string;
  preventCore?: boolean;
  nice?: string;
}

export function daemonOptionsFromFlags(entry: string | undefined, args: string[], f: DaemonFlags): DaemonOptions {
  const o: DaemonOptions = {
    entry: entry ?? '',
    args: args[0] === '--' ? args.slice(1) : args, // commander keeps the separator
    umask: f.umask,
    chdir: f.chdir,
    env: f.env,
    readyTimeout: f.readyTimeout,
    grace: f.grace,
    logFormat: f.logFormat,
  };
  const optional = ['name', 'pidfile', 'user', 'group', 'stdout', 'stderr', 'stateFile', 'watchConfig', 'nofile', 'core', 'preventCore', 'nice'] as const;
  for (const key of optional) {
    if (f[key] !== undefined) Object.assign(o, { [key]: f[key] });
  }
  return o;
}

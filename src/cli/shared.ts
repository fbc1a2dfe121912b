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
    .addOption(new Option('--ready-timeout <seconds>', 'how long start waits for readiness').default('60'));
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
}

export function daemonOptionsFromFlags(entry: string | undefined, args: string[], f: DaemonFlags): DaemonOptions {
  const o: DaemonOptions = {
    entry: entry ?? '',
    args: args[0] === '--' ? args.slice(1) : args, // commander keeps the separator
    umask: f.umask,
    chdir: f.chdir,
    env: f.env,
    readyTimeout: f.readyTimeout,
  };
  for (const key of ['name', 'pidfile', 'user', 'group', 'stdout', 'stderr'] as const) {
    if (f[key] !== undefined) Object.assign(o, { [key]: f[key] });
  }
  return o;
}

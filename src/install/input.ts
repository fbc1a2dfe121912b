// What a rendered service file needs to know about the daemon: the resolved
// options plus the node binary and the taskdaemon CLI that will run it.
import * as path from 'node:path';
import type { DaemonOptions, ResolvedOptions } from '../options';
import { nameFromEntry, validateName } from '../paths';
import { OPTIONS } from '../option-table';

export interface InstallInput {
  name: string;
  entry: string;
  args: string[];
  /** The node binary: the daemon execs the same one, so init.d matches it with --exec. */
  node: string;
  /** bin/taskdaemon.js of this package. */
  bin: string;
  pidfile: string;
  stdout: string;
  stderr: string;
  stateFile: string | null;
  user?: string;
  group?: string;
  umask: number;
  cwd: string;
  env: { [k: string]: string };
  graceMs: number;
  readyTimeoutMs: number;
  nofile?: number;
  /** WatchdogSec= of a Type=notify unit, in seconds; absent: no watchdog. */
  watchdogSec?: number;
  /** The resolved options the other flags render from (the option table's `render`). */
  options?: ResolvedOptions;
}

// A service runs as root, whoever renders its file: these are the root
// defaults of paths.ts (/run, /var/log, /var/lib), and must stay in step with it.
export function systemPaths(name: string): { pidfile: string; log: string; stateFile: string } {
  return {
    pidfile: `/run/taskdaemon/${name}.pid`,
    log: `/var/log/taskdaemon/${name}.log`,
    stateFile: `/var/lib/taskdaemon/${name}/state.json`,
  };
}

// Fill in the system locations before resolveOptions, which would otherwise
// pick the per-user ones of an unprivileged caller.
export function withSystemPaths(o: DaemonOptions): DaemonOptions {
  if (!o.entry) return o; // resolveOptions reports the missing entry
  const sys = systemPaths(validateName(o.name ?? nameFromEntry(o.entry)));
  return {
    ...o,
    pidfile: o.pidfile ?? sys.pidfile,
    stdout: o.stdout ?? sys.log,
    stateFile: o.stateFile ?? sys.stateFile,
  };
}

export function installInputFrom(o: ResolvedOptions, raw: { user?: string; group?: string }): InstallInput {
  const nofile = o.rlimits.find((l) => l.resource === 'nofile');
  const input: InstallInput = {
    name: o.name,
    entry: o.entry,
    args: o.args,
    node: process.execPath,
    bin: path.join(__dirname, '..', '..', 'bin', 'taskdaemon.js'),
    // run --no-pidfile resolves to null; a service file always names one (forking reads it).
    pidfile: o.pidfile ?? systemPaths(o.name).pidfile,
    stdout: o.stdout,
    stderr: o.stderr,
    stateFile: o.stateFile,
    umask: o.umask,
    cwd: o.cwd,
    env: o.env,
    graceMs: o.graceMs,
    readyTimeoutMs: o.readyTimeoutMs,
  };
  // The names, not the numeric ids: the file may be used on another machine or after a uid change.
  if (raw.user) input.user = raw.user;
  if (raw.group) input.group = raw.group;
  if (nofile) input.nofile = nofile.hard;
  input.options = o;
  return input;
}

// The taskdaemon flags a service file passes, beyond entry, --name and the
// pidfile: only those that differ from what the service would get anyway.
// The paths are judged against the service's own defaults; every other option
// renders itself (the option table's `render`).
export function optionFlags(o: InstallInput, mode: 'start' | 'run'): string[] {
  const sys = systemPaths(o.name);
  const f: string[] = [];
  if (o.user) f.push('--user', o.user);
  if (o.group) f.push('--group', o.group);
  if (o.stdout !== sys.log) f.push('--stdout', o.stdout);
  if (o.stderr !== o.stdout) f.push('--stderr', o.stderr);
  if (o.stateFile === null) f.push('--no-state-file');
  else if (o.stateFile !== sys.stateFile) f.push('--state-file', o.stateFile);
  return [...f, ...renderedFlags(o, mode)];
}

/** The flags of the options that render themselves (all but the paths and ids above). */
export function renderedFlags(o: InstallInput, mode: 'start' | 'run'): string[] {
  if (!o.options) return [];
  return OPTIONS.flatMap((spec) => (spec.render && spec.commands.includes(mode) ? spec.render(o.options!) : []));
}

// Log files the daemon writes itself. `run` leaves stdout and stderr to the
// journal unless they were asked for.
export function logFiles(o: InstallInput, mode: 'start' | 'run'): string[] {
  const sys = systemPaths(o.name);
  if (mode === 'start') return [o.stdout, o.stderr];
  const files: string[] = [];
  if (o.stdout !== sys.log) files.push(o.stdout);
  if (o.stderr !== o.stdout) files.push(o.stderr);
  return files;
}

// Seconds for a shutdown to finish: the grace period for tracked work, and a
// margin for the shutdown hook's own exit.
export function stopSeconds(o: InstallInput): number {
  return Math.ceil(o.graceMs / 1000) + 5;
}

// `start`, the caller's side of DESIGN.md §2: lock the pidfile, open the logs
// and the readiness pipe, let native code fork-setsid-fork-exec, then wait for
// the daemon to report READY=1 or its error. On any failure nothing is left
// behind: the daemon is gone, the pidfile is removed, the lock is released.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from './exit-codes';
import { check, errnoDescription, errnoName, TaskdaemonError } from './errors';
import { native, type DaemonizeSpec } from './native';
import { openLog } from './logfile';
import { prepareStateDir } from './state-dir';
import { controlSocketPath } from './paths';
import { holdsLock, lockPidfile, releasePidfile, type LockedPidfile } from './pidfile';
import { ReadinessReader, type Outcome } from './ready-reader';
import type { ResolvedOptions } from './options';
import { BOOT_ENV, type BootMarker } from './runtime/markers';
import { timeoutSchedule } from './retry';
import { terminate } from './terminate';


export interface StartResult {
  name: string;
  pid: number;
  pidfile: string;
  stdout: string;
  stderr: string;
}

// Inherited from whoever ran `start`, but meaningless to the forked daemon.
const STRIPPED_ENV = ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', BOOT_ENV];

export function bootScript(): string {
  return path.join(__dirname, 'runtime', 'boot.js');
}

function buildEnv(o: ResolvedOptions, marker: BootMarker): string[] {
  const env: { [key: string]: string | undefined } = { ...process.env };
  for (const k of STRIPPED_ENV) delete env[k];
  if (o.credentials?.user) {
    env.USER = env.LOGNAME = o.credentials.user;
    if (o.credentials.home) env.HOME = o.credentials.home;
  }
  Object.assign(env, o.env);
  env[BOOT_ENV] = JSON.stringify(marker);
  return Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
}


// What the daemon wrote to its log during this start attempt, last lines only.
function logTail(file: string, from: number, maxLines = 10): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const start = Math.max(from, size - 4096);
      const buf = Buffer.alloc(Math.max(0, size - start));
      fs.readSync(fd, buf, 0, buf.length, start);
      return buf.toString('utf8').trimEnd().split('\n').slice(-maxLines).join('\n');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

// The files the daemon's user must reach, by the step that opens them.
function stepFile(step: string, opts: ResolvedOptions): string | null {
  return step === 'open(entry)' ? opts.entry : step === 'open(boot script)' ? bootScript() : step === 'execve' ? process.execPath : null;
}

function describeFailure(o: Outcome, opts: ResolvedOptions): { message: string; exitCode: number; hint?: string } {
  if (o.kind === 'error') {
    const step = o.error.get('STEP');
    const errno = Number(o.error.get('ERRNO'));
    if (step) {
      const code = errnoName(-errno);
      const desc = errnoDescription(-errno);
      const exitCode = code === 'EPERM' || code === 'EACCES' ? EXIT.NO_PRIVILEGE : code === 'ENOENT' && step === 'execve' ? EXIT.NOT_INSTALLED : EXIT.FAILURE;
      const file = stepFile(step, opts);
      const user = opts.credentials?.user ?? (opts.credentials ? `uid ${opts.credentials.uid}` : null);
      if (file && user && code === 'EACCES') {
        return {
          message: `${user} cannot ${step === 'execve' ? 'run' : 'read'} ${file}: ${code} (${desc})`,
          exitCode,
          hint: `the daemon runs as ${user}: the file and every directory above it must be open to that user (a checkout under /root or a mktemp -d directory is not)`,
        };
      }
      return { message: `daemon setup failed at ${step}: ${code} (${desc})`, exitCode };
    }
    return { message: o.error.get('ERROR') ?? 'daemon reported an error', exitCode: EXIT.FAILURE };
  }
  if (o.kind === 'interrupted') return { message: 'interrupted while waiting for readiness; stopped the daemon', exitCode: EXIT.FAILURE };
  if (o.kind === 'timeout') return { message: `daemon was not ready within ${opts.readyTimeoutMs / 1000}s; stopped it`, exitCode: EXIT.FAILURE };
  return { message: 'daemon exited before it was ready', exitCode: EXIT.FAILURE };
}

// After a failed start: make sure the daemon process is gone. The pipe's end
// of file means it closed its end (normally: exited); a pid we got from it is
// only signalled if that process still holds our pidfile's lock.
async function ensureGone(reader: ReadinessReader, lock: LockedPidfile, outcome: Outcome): Promise<void> {
  const graceMs = outcome.kind === 'timeout' || outcome.kind === 'interrupted' ? 0 : 5_000;
  const closed = graceMs > 0 ? await reader.closed(graceMs) : false;
  const pid = reader.daemonPid;
  if (pid === null) return;
  if (closed && !holdsLock(pid, lock.dev, lock.ino)) return;
  await terminate(pid, { schedule: timeoutSchedule(3_000), verify: () => holdsLock(pid, lock.dev, lock.ino) });
}

export interface StartControl {
  /** Aborting (the CLI does on SIGINT/SIGTERM/SIGHUP) stops the half-started daemon and fails. */
  signal?: AbortSignal;
}

export async function startDaemon(o: ResolvedOptions, control: StartControl = {}): Promise<StartResult> {
  if (!o.pidfile) throw new TaskdaemonError('start needs a pidfile', { exitCode: EXIT.INVALID_ARGS });
  const n = native();
  const lock = lockPidfile(o.pidfile);
  const fds: number[] = [];
  let reader: ReadinessReader | null = null;
  let handedOver = false;
  try {
    fs.ftruncateSync(lock.fd, 0); // a stale pid must not be read while we start
    const devnull = fs.openSync('/dev/null', 'r');
    fds.push(devnull);
    const out = openLog(o.stdout);
    fds.push(out);
    const err = o.stderr === o.stdout ? out : openLog(o.stderr);
    if (err !== out) fds.push(err);
    const logStart = fs.fstatSync(out).size;
    const [readFd, writeFd] = check<[number, number]>(n.pipe(), 'pipe');
    fds.push(writeFd);
    reader = new ReadinessReader(readFd);

    prepareStateDir(o);
    // Made here, as the caller, so an unprivileged daemon still owns a root-made 0600 socket.
    const controlPath = controlSocketPath(o.pidfile);
    const controlFd = check<number>(n.unixListen(controlPath, 64), 'bind', controlPath);
    fds.push(controlFd);
    const marker: BootMarker = {
      v: 1,
      name: o.name,
      readyFd: writeFd,
      lockFd: lock.fd,
      pidfile: o.pidfile,
      graceMs: o.graceMs,
      logFormat: o.logFormat,
      stateFile: o.stateFile,
      watchConfig: o.watchConfig,
      stdout: o.stdout,
      stderr: o.stderr,
      controlFd,
      healthPort: o.healthPort,
      healthHost: o.healthHost,
    };
    const creds = o.credentials;
    const spec: DaemonizeSpec = {
      file: process.execPath,
      argv: [process.execPath, bootScript(), o.entry, ...o.args],
      envp: buildEnv(o, marker),
      cwd: o.cwd,
      umask: o.umask,
      stdin: devnull,
      stdout: out,
      stderr: err,
      uid: creds ? creds.uid : -1,
      gid: creds ? creds.gid : -1,
      groups: creds ? creds.groups : null,
      lockFd: lock.fd,
      readyFd: writeFd,
      keepFds: [lock.fd, writeFd, controlFd],
      rlimits: o.rlimits,
      readable: [
        { path: bootScript(), step: 'open(boot script)' },
        { path: o.entry, step: 'open(entry)' },
      ],
      ...(o.nice !== null && { nice: o.nice }),
    };
    check(n.daemonize(spec), 'fork');
    // Our copies must close, or end of file on the pipe would never come.
    for (const fd of fds.splice(0)) fs.closeSync(fd);

    const outcome = await reader.outcome(o.readyTimeoutMs, control.signal);
    if (outcome.kind === 'ready') {
      handedOver = true;
      return { name: o.name, pid: outcome.pid ?? 0, pidfile: o.pidfile, stdout: o.stdout, stderr: o.stderr };
    }
    await ensureGone(reader, lock, outcome);
    const { message, exitCode, hint } = describeFailure(outcome, o);
    const tail = logTail(o.stderr, logStart);
    const hints = [hint, tail && `last lines of ${o.stderr}:\n${tail}`].filter(Boolean);
    throw new TaskdaemonError(message, { exitCode, code: 'ERR_START_FAILED', ...(hints.length && { hint: hints.join('\n') }) });
  } finally {
    reader?.close();
    for (const fd of fds) fs.closeSync(fd);
    // We still hold the lock (same open file description as the daemon's),
    // so on failure the pidfile is ours to remove: no later start can have won it.
    if (!handedOver) releasePidfile(lock);
    fs.closeSync(lock.fd);
  }
}

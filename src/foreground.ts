// `taskdaemon run`: the same runtime as a started daemon, in this process, in
// the foreground (systemd Type=notify, containers, terminals). Nothing forks.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { TaskdaemonError } from './errors';
import { EXIT } from './exit-codes';
import { native } from './native';
import { check } from './errors';
import { lockPidfile, releasePidfile, type LockedPidfile } from './pidfile';
import { logOwnerFor, openLog, type LogOwner } from './logfile';
import { readEnvFile } from './env-file';
import { listenControlSocket } from './control/control-socket';
import { Lifecycle } from './runtime/lifecycle';
import { prepareStateDir } from './state-dir';
import type { ResolvedOptions } from './options';
import { refuseSupervision } from './supervisor/options';

function redirect(file: string, target: 1 | 2, owner: LogOwner | null): void {
  const fd = openLog(file, owner);
  check(native().dup2(fd, target), 'dup2', file);
  fs.closeSync(fd);
}

function applyLimits(o: ResolvedOptions): void {
  for (const l of o.rlimits) check(native().setrlimit(l.resource, l.soft, l.hard), 'setrlimit');
  if (o.nice !== null) os.setPriority(o.nice);
}

// Same order as the native start sequence: ids are dropped last, and a way
// back to root must not exist afterwards.
function dropPrivileges(o: ResolvedOptions): void {
  const c = o.credentials;
  if (!c) return;
  if (c.groups) process.setgroups!(c.groups);
  if (c.gid >= 0) process.setgid!(c.gid);
  if (c.uid >= 0) process.setuid!(c.uid);
  if (c.uid > 0) {
    let regained = true;
    try {
      process.setuid!(0);
    } catch {
      regained = false;
    }
    if (regained) throw new TaskdaemonError('privilege drop failed: setuid(0) still succeeds', { exitCode: EXIT.NO_PRIVILEGE });
    if (c.user) {
      process.env.USER = process.env.LOGNAME = c.user;
      if (c.home) process.env.HOME = c.home;
    }
  }
}

/** Resolves with the exit code once the daemon has stopped. */
export async function runForeground(o: ResolvedOptions, redirects: { stdout?: string; stderr?: string }): Promise<number> {
  return (await startForeground(o, redirects, 'entry')).finished;
}

/** What the foreground set-up holds: the locked pidfile and the listening control socket (-1: none). */
export interface ForegroundHold {
  lock: LockedPidfile | null;
  controlFd: number;
}

/**
 * The process set-up `run` does in place of the daemon's: pidfile (this pid),
 * control socket (unless `controlSocket` is false: a program without the
 * runtime cannot serve it), umask, cwd, log redirects, environment, limits,
 * state directory, and the privilege drop last.
 */
export function prepareForeground(o: ResolvedOptions, redirects: { stdout?: string; stderr?: string }, opts: { controlSocket?: boolean; where?: string } = {}): ForegroundHold {
  refuseSupervision(o.supervise, opts.where ?? '`taskdaemon run`', 'under a service manager, let it restart the program (systemd Restart=); or use taskdaemon start');
  let lock: LockedPidfile | null = null;
  let controlFd = -1;
  if (o.pidfile) {
    lock = lockPidfile(o.pidfile);
    fs.ftruncateSync(lock.fd, 0);
    fs.writeSync(lock.fd, `${process.pid}\n`, 0);
    fs.fsyncSync(lock.fd);
  }
  try {
    if (o.pidfile && opts.controlSocket !== false) {
      // Made before the privilege drop, like start does.
      controlFd = listenControlSocket(o.pidfile);
    }
    process.umask(o.umask);
    process.chdir(o.cwd);
    if (redirects.stdout) redirect(redirects.stdout, 1, logOwnerFor(o.credentials));
    if (redirects.stderr) redirect(redirects.stderr, 2, logOwnerFor(o.credentials));
    else if (redirects.stdout) check(native().dup2(1, 2), 'dup2');
    // `run` keeps the environment systemd or the container chose, plus what it is given.
    for (const file of o.envFiles) Object.assign(process.env, readEnvFile(file));
    Object.assign(process.env, o.env);
    applyLimits(o);
    prepareStateDir(o);
    dropPrivileges(o);
  } catch (e) {
    if (controlFd >= 0) fs.closeSync(controlFd);
    if (lock) releasePidfile(lock); // nothing left behind, the socket included
    throw e;
  }
  return { lock, controlFd };
}

/** The foreground set-up and a started lifecycle: of the entry (`run`), or of the program already running (daemonize()). */
export async function startForeground(o: ResolvedOptions, redirects: { stdout?: string; stderr?: string }, program: 'entry' | 'self'): Promise<Lifecycle> {
  const { lock, controlFd } = prepareForeground(o, redirects, { ...(program === 'self' && { where: 'a program that daemonizes itself in the foreground' }) });
  process.argv.splice(1, process.argv.length - 1, o.entry, ...o.args);
  const life = new Lifecycle(
    { options: o, mode: 'foreground', program, readyFd: -1, lock, controlFd, stdoutPath: redirects.stdout ?? null, stderrPath: redirects.stderr ?? redirects.stdout ?? null },
  );
  await life.start();
  return life;
}

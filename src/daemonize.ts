// `start`, the caller's side of DESIGN.md §2: lock the pidfile, open the logs
// and the readiness pipe, let native code fork-setsid-fork-exec, then wait for
// the daemon to report READY=1 or its error. On any failure nothing is left
// behind: the daemon is gone, the pidfile is removed, the lock is released.
import * as fs from 'node:fs';
import { EXIT } from './exit-codes';
import { check, setupError, TaskdaemonError } from './errors';
import type { SetupStepName } from './setup-steps';
import { native, nativeSupervisorPath, type DaemonizeSpec } from './native';
import { logOwnerFor, openLog } from './logfile';
import { prepareStateDir, removeStateDir } from './state-dir';
import { listenControlSocket } from './control/control-socket';
import { holdsLock, lockPidfile, releasePidfile, type LockedPidfile } from './pidfile';
import { ReadinessReader, type Outcome } from './ready-reader';
import type { ResolvedOptions } from './options';
import { BOOT_ENV, type BootMarker } from './runtime/markers';
import { daemonEnvironment } from './daemon-env';
import { daemonIdentity } from './users';
import { timeoutSchedule } from './retry';
import { formatDuration } from './duration';
import { terminate } from './terminate';
import { describeEnd, endOfStatus } from './process-end';
import { statFields } from './proc-state';
import type * as Bind from './supervisor/bind';
import { refuseSupervision } from './supervisor/options';
import { nativeSupervisorPlan } from './supervisor/native-plan';
import { execPlan, type ExecPlan } from './program-kind';
import type * as NotifySocket from './notify-socket';
import type * as ProgramReady from './program-ready';



export interface StartResult {
  name: string;
  pid: number;
  pidfile: string;
  stdout: string;
  stderr: string;
}

// A supervised daemon is the native supervisor (native/supervisor/, DESIGN.md §8), which runs the
// program, Node or not, as its instances. It is built and shipped beside the addon.
function supervisorPlan(o: ResolvedOptions): ExecPlan {
  const bin = nativeSupervisorPath();
  if (!bin) {
    throw new TaskdaemonError('--restart, --listen and --instances need taskdaemon-supervisor beside the addon, and there is none', {
      exitCode: EXIT.NOT_INSTALLED,
      code: 'ERR_NO_SUPERVISOR',
      hint: '`npm rebuild taskdaemon` builds it with the addon (a C++ compiler, make and python3 are needed)',
    });
  }
  const entry = execPlan(o).readable.filter((r) => r.step === 'open(entry)');
  return { file: bin, argv: [bin, o.entry, ...o.args], readable: [{ path: bin, step: 'open(boot script)' }, ...entry], runtime: true };
}

// The daemon's clean environment (daemon-env.ts), and the one variable its
// boot needs (a program without the runtime: $NOTIFY_SOCKET, for --ready notify).
function buildEnv(o: ResolvedOptions, markerFd: number, notifySocket: string | null): string[] {
  const { env } = daemonEnvironment(o, process.env, daemonIdentity(o.credentials));
  delete env[BOOT_ENV];
  if (markerFd >= 0) env[BOOT_ENV] = String(markerFd);
  if (notifySocket) env.NOTIFY_SOCKET = notifySocket;
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
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

// The file a failed setup step was about, from the spec native code was given.
function stepPath(step: string, spec: DaemonizeSpec, pidfile: string): string | undefined {
  const paths: Partial<Record<SetupStepName, string>> = { chdir: spec.cwd, execve: spec.file, ftruncate: pidfile, pwrite: pidfile, fsync: pidfile };
  for (const r of spec.readable ?? []) paths[r.step] = r.path;
  return paths[step as SetupStepName];
}

// Whom the daemon runs as after the drop, in words; undefined when it does not drop.
function daemonUser(o: ResolvedOptions): string | undefined {
  const c = o.credentials;
  return c ? (c.user ?? `uid ${c.uid}`) : undefined;
}

// How a daemon that closed the pipe without a word ended: its own EXIT record
// (the runtime sends one from process 'exit'), else the zombie's exit status
// while init has not reaped it yet (man 5 proc: /proc/PID/stat field 52).
function howItEnded(o: Outcome, pid: number): string {
  const code = o.records.find((r) => r.has('EXIT'))?.get('EXIT');
  if (code !== undefined) return `exited with code ${code}`;
  const fields = statFields(pid); // null: reaped already
  if (fields?.[0] === 'Z' && fields[49] !== undefined) return describeEnd(endOfStatus(Number(fields[49])));
  return 'ended without a word (killed by a signal before its runtime started, or reaped before we could look)';
}

// Why a start failed, as the error to throw: a setup step's record becomes a
// SetupError (src/errors.ts builds it); the rest say what the daemon did.
function startFailure(o: Outcome, opts: ResolvedOptions, spec: DaemonizeSpec, pid: number, stop: StopOutcome, note: string): TaskdaemonError {
  const step = o.kind === 'error' ? o.error.get('STEP') : undefined;
  if (o.kind === 'error' && step) {
    return setupError(step, Number(o.error.get('ERRNO')), { path: stepPath(step, spec, opts.pidfile!), user: daemonUser(opts), note });
  }
  const failed = (message: string): TaskdaemonError => new TaskdaemonError(message, { exitCode: EXIT.FAILURE, code: 'ERR_START_FAILED', ...(note && { hint: note }) });
  const what = STOP_WORDS[stop](pid);
  if (o.kind === 'error') return failed(o.error.get('ERROR') ?? 'daemon reported an error');
  if (o.kind === 'interrupted') return failed(`interrupted while waiting for readiness; ${what}`);
  if (o.kind === 'timeout') return failed(`daemon was not ready within ${formatDuration(opts.readyTimeoutMs)}; ${what}`);
  return failed(`daemon ${howItEnded(o, pid)} before it was ready`);
}

// What ensureGone did, in words that are true.
type StopOutcome = 'gone' | 'exited' | 'killed' | 'survived';
const STOP_WORDS: { [k in StopOutcome]: (pid: number) => string } = {
  gone: (pid) => `it (pid ${pid}) had already ended`,
  exited: (pid) => `stopped it (pid ${pid})`,
  killed: (pid) => `killed it (pid ${pid}) after it ignored SIGTERM`,
  survived: (pid) => `pid ${pid} survived SIGKILL and still holds the pidfile`,
};

// After a failed start: make sure the daemon process is gone, whatever the
// moment (its pid is known from the moment daemonize returns). The pipe's end
// of file means it closed its end (normally: exited); the pid is only
// signalled while that process still holds our pidfile open (a reused pid
// does not).
async function ensureGone(pid: number, reader: ReadinessReader, lock: LockedPidfile, outcome: Outcome | null): Promise<StopOutcome> {
  if (pid <= 0) return 'gone';
  const graceMs = outcome?.kind === 'error' || outcome?.kind === 'eof' ? 5_000 : 0;
  const closed = graceMs > 0 ? await reader.closed(graceMs) : false;
  if (closed && !holdsLock(pid, lock.dev, lock.ino)) return 'gone';
  const r = await terminate(pid, { schedule: timeoutSchedule(3_000), verify: () => holdsLock(pid, lock.dev, lock.ino) });
  return r === 'not-ours' ? 'gone' : r;
}

export interface StartControl {
  /** Aborting (the CLI does on SIGINT/SIGTERM/SIGHUP) stops the half-started daemon and fails. */
  signal?: AbortSignal;
  /**
   * daemonize(): the daemon is the calling program itself, run again by the
   * same node with the same node options (never the boot script).
   */
  self?: { execArgv: string[] };
}

export async function startDaemon(o: ResolvedOptions, control: StartControl = {}): Promise<StartResult> {
  if (!o.pidfile) throw new TaskdaemonError('start needs a pidfile', { exitCode: EXIT.INVALID_ARGS });
  if (control.self) refuseSupervision(o.supervise, 'a program that daemonizes itself', 'start it with `taskdaemon start` to have it supervised');
  const n = native();
  const lock = lockPidfile(o.pidfile);
  const fds: number[] = [];
  // Made by this start, so a failed start removes them again (when still empty).
  const createdLogs = [o.stdout, o.stderr].filter((f, i, all) => all.indexOf(f) === i && !fs.existsSync(f));
  let createdStateDir: string | null = null;
  let reader: ReadinessReader | null = null;
  let notify: NotifySocket.NotifySocket | null = null;
  let daemonPid = 0;
  let pipeRead = -1;
  let handedOver = false;
  let listen: Bind.BoundSockets | null = null;
  try {
    fs.ftruncateSync(lock.fd, 0); // a stale pid must not be read while we start
    const devnull = fs.openSync('/dev/null', 'r');
    fds.push(devnull);
    const owner = logOwnerFor(o.credentials);
    const out = openLog(o.stdout, owner);
    fds.push(out);
    const err = o.stderr === o.stdout ? out : openLog(o.stderr, owner);
    if (err !== out) fds.push(err);
    const logStart = fs.fstatSync(out).size;
    const [readFd, writeFd] = check<[number, number]>(n.pipe(), 'pipe');
    pipeRead = readFd;
    fds.push(writeFd);

    createdStateDir = prepareStateDir(o);
    // A program without the runtime gets no control socket and no boot marker: only its lock, its logs and (notify) a socket to talk to.
    const plan: ExecPlan = control.self
      ? { file: process.execPath, argv: [process.execPath, ...control.self.execArgv, '--', o.entry, ...o.args], readable: [{ path: o.entry, step: 'open(entry)' as const }], runtime: true }
      : o.supervise
        ? supervisorPlan(o)
        : execPlan(o);
    let controlFd = -1;
    let markerFd = -1;
    let listenFds: number[] = [];
    if (plan.runtime) {
      controlFd = listenControlSocket(o.pidfile);
      fds.push(controlFd);
      // --listen: bound here, as the caller and before the drop (a daemon running as nobody can serve port 80).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      listen = o.supervise ? await (require('./supervisor/bind') as typeof Bind).bindSockets(o.supervise.listen) : null;
      listenFds = listen ? listen.fds.map((l) => l.fd) : [];
      fds.push(...listenFds);
      // A supervised start: the --listen sockets and the rest of the native supervisor's plan.
      const marker: BootMarker = { v: 2, readyFd: writeFd, lockFd: lock.fd, controlFd, options: o, ...(o.supervise && { supervisor: nativeSupervisorPlan(o, listen?.fds ?? []) }) };
      markerFd = check<number>(n.pipeWith(JSON.stringify(marker)), 'pipe');
      fds.push(markerFd);
    } else if (o.ready.kind === 'notify') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      notify = (require('./notify-socket') as typeof NotifySocket).openNotifySocket(o.credentials);
    }
    const creds = o.credentials;
    const spec: DaemonizeSpec = {
      file: plan.file,
      argv: plan.argv,
      envp: buildEnv(o, markerFd, notify?.path ?? null),
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
      keepFds: plan.runtime ? [lock.fd, writeFd, controlFd, markerFd, ...listenFds] : [lock.fd],
      readyOnExec: !plan.runtime,
      rlimits: o.rlimits,
      readable: plan.readable,
      ...(o.nice !== null && { nice: o.nice }),
    };
    daemonPid = check(n.daemonize(spec), 'fork').daemonPid;
    // Our copies must close, or end of file on the pipe would never come.
    for (const fd of fds.splice(0)) fs.closeSync(fd);
    // Read from here on: what the children wrote waits in the pipe, and setting
    // the reader up (libuv's thread pool) overlaps the daemon's boot instead of
    // delaying the fork.
    reader = new ReadinessReader(pipeRead);
    pipeRead = -1;

    const pid = daemonPid || (reader.daemonPid ?? 0);
    let outcome: Outcome;
    let said: string | null = null;
    try {
      if (plan.runtime) outcome = await reader.outcome(o.readyTimeoutMs, control.signal);
      else {
        const wait = { reader, pid, entry: o.entry, ready: o.ready, notify, timeoutMs: o.readyTimeoutMs, holdsLock: () => holdsLock(pid, lock.dev, lock.ino), ...(control.signal && { signal: control.signal }) };
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        ({ outcome, note: said } = await (require('./program-ready') as typeof ProgramReady).awaitProgramReady(wait));
      }
    } catch (e) {
      // Our own failure while waiting: the daemon we forked must not outlive it.
      if ((await ensureGone(pid, reader, lock, null)) === 'survived') handedOver = true;
      throw e;
    }
    if (outcome.kind !== 'ready') {
      const stopped = await ensureGone(pid, reader, lock, outcome);
      // One that survived SIGKILL still holds the lock: its pidfile stays, telling the truth.
      if (stopped === 'survived') handedOver = true;
      const tail = logTail(o.stderr, logStart);
      throw startFailure(outcome, o, spec, pid, stopped, [said, tail && `last lines of ${o.stderr}:\n${tail}`].filter(Boolean).join('\n'));
    }
    handedOver = true;
    return { name: o.name, pid: outcome.pid ?? pid, pidfile: o.pidfile, stdout: o.stdout, stderr: o.stderr };
  } finally {
    reader?.close();
    notify?.close();
    if (pipeRead >= 0) fs.closeSync(pipeRead);
    for (const fd of fds) fs.closeSync(fd);
    // We still hold the lock (same open file description as the daemon's),
    // so on failure the pidfile is ours to remove: no later start can have won it.
    if (!handedOver) {
      listen?.removeFiles();
      releasePidfile(lock);
      removeEmptyFiles(createdLogs);
      removeStateDir(createdStateDir);
    }
    fs.closeSync(lock.fd);
  }
}

// Log files this start created and nobody wrote to: a failed start leaves nothing.
function removeEmptyFiles(files: string[]): void {
  for (const f of files) {
    try {
      if (fs.lstatSync(f).size === 0) fs.unlinkSync(f);
    } catch {
      /* never created, or gone */
    }
  }
}

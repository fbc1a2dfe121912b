// `taskdaemon run` as init: a container's PID 1 (or `run --init`, or any
// `run` of a program that is not Node). The app runs in a child process, as
// tini runs it: signals are forwarded to it, every child that ends is reaped,
// orphans included (waitpid(-1) is safe only because nothing else in this
// process waits on a child of its own: taskdaemon never spawns through node),
// and the process exits with the app's code, 128+N when a signal N ended it.
// The pidfile (if any) names this process, so `stop` and `reload` signal it
// and it forwards; a Node app's control socket and health port are served by
// the app itself. Readiness reaches $NOTIFY_SOCKET from here, with this pid.
// See: man 2 waitpid, man 2 PR_SET_CHILD_SUBREAPER, man 3 sd_notify, DESIGN.md §9
import * as fs from 'node:fs';
import { check, setupError } from './errors';
import { native, type ChildExit } from './native';
import { describeEnd, exitCodeOf } from './process-end';
import { MANAGER_VARS } from './daemon-env';
import { prepareForeground } from './foreground';
import { execPlan } from './program-kind';
import type { ResolvedOptions } from './options';
import { releasePidfile } from './pidfile';
import { ReadinessReader } from './ready-reader';
import { waitForAddress } from './ready-address';
import { awaitNotifyReady, openNotifySocket, type NotifySocket } from './notify-socket';
import { BOOT_ENV, type BootMarker } from './runtime/markers';
import { createLogger, type Logger } from './runtime/logger';

/** What init passes on to the app; CHLD is its own, KILL and STOP cannot be caught. */
export const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
const STOPS: readonly string[] = ['SIGTERM', 'SIGINT', 'SIGQUIT'];

export interface InitMode {
  /** Become a child subreaper, so orphans come here although this is not PID 1 (tini -s). */
  subreaper: boolean;
}


// The service manager's readiness socket, taken out of the environment so
// the app does not talk to it in our name (its MAINPID is this process).
function outerNotify(log: Logger): (fields: string) => void {
  const socket = process.env.NOTIFY_SOCKET;
  if (!socket) return () => {};
  let warned = false;
  return (fields) => {
    const rc = native().sdNotify(socket, `${fields}\nMAINPID=${process.pid}`);
    if (rc < 0 && !warned) {
      warned = true;
      log.warn('notify-failed', `sd_notify to ${socket}: errno ${-rc}`);
    }
  };
}

// Socket activation meant for this process: the same fds go on to the app, from 3.
function listenFdsForChild(): { count: number; names: string | undefined } | null {
  const count = Number(process.env.LISTEN_FDS);
  if (!Number.isInteger(count) || count <= 0 || Number(process.env.LISTEN_PID) !== process.pid) return null;
  return { count, names: process.env.LISTEN_FDNAMES };
}

interface Spawned {
  pid: number;
  /** Our end of the app's readiness pipe (a Node app), or -1. */
  readyRead: number;
  notify: NotifySocket | null;
}

function spawnApp(o: ResolvedOptions, controlFd: number, redirects: { stdout?: string; stderr?: string }): Spawned {
  const n = native();
  const plan = execPlan(o);
  const listen = listenFdsForChild();
  const env: { [k: string]: string } = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !MANAGER_VARS.includes(k)) env[k] = v;
  const fds = [0, 1, 2];
  if (listen) {
    for (let i = 0; i < listen.count; i++) fds.push(3 + i);
    env.LISTEN_FDS = String(listen.count);
    env.LISTEN_PID = '';
    if (listen.names !== undefined) env.LISTEN_FDNAMES = listen.names;
  }
  const ours: number[] = []; // our copies of what the child gets: closed once it has them
  let readyRead = -1;
  let notify: NotifySocket | null = null;
  try {
    if (plan.runtime) {
      const [r, w] = check<[number, number]>(n.pipe(), 'pipe');
      readyRead = r;
      ours.push(w);
      const readySlot = fds.length;
      fds.push(w);
      const controlSlot = controlFd >= 0 ? fds.length : -1;
      if (controlFd >= 0) fds.push(controlFd);
      const marker: BootMarker = {
        v: 2,
        readyFd: readySlot,
        lockFd: -1,
        controlFd: controlSlot,
        options: o,
        mode: 'foreground',
        logs: { stdout: redirects.stdout ?? null, stderr: redirects.stderr ?? redirects.stdout ?? null },
      };
      const markerFd = check<number>(n.pipeWith(JSON.stringify(marker)), 'pipe');
      ours.push(markerFd);
      env[BOOT_ENV] = String(fds.length);
      fds.push(markerFd);
    } else if (o.ready.kind === 'notify') {
      notify = openNotifySocket(null); // already dropped to the app's user
      env.NOTIFY_SOCKET = notify.path;
    }
    const r = n.spawnChild({ file: plan.file, argv: plan.argv, envp: Object.entries(env).map(([k, v]) => `${k}=${v}`), fds, listenPid: listen !== null });
    if ('errno' in r) throw setupError(r.syscall, -r.errno, { path: plan.file });
    return { pid: r.pid, readyRead, notify };
  } catch (e) {
    if (readyRead >= 0) fs.closeSync(readyRead);
    notify?.close();
    throw e;
  } finally {
    for (const fd of ours) fs.closeSync(fd);
  }
}

// When the app is ready: its runtime's READY=1 (a Node app), or --ready for a program.
async function appReady(o: ResolvedOptions, app: Spawned, ended: Promise<ChildExit>): Promise<boolean> {
  const gone = { value: false };
  void ended.then(() => (gone.value = true));
  if (app.readyRead >= 0) {
    const reader = new ReadinessReader(app.readyRead);
    try {
      return (await reader.outcome(2 ** 31 - 1)).kind === 'ready';
    } finally {
      reader.close();
    }
  }
  const ready = o.ready;
  if (ready.kind === 'notify') {
    return (await awaitNotifyReady(app.notify!.fd, () => !gone.value)).ready;
  }
  if (ready.kind === 'tcp' || ready.kind === 'unix') {
    const pause = (ms: number): Promise<boolean> => new Promise((resolve) => setTimeout(() => resolve(gone.value), ms));
    return (await waitForAddress(ready, { deadline: Infinity, pause })) === 'ready';
  }
  return true; // exec: spawnChild returned after execve succeeded
}

/** Runs the app as init's child; resolves with the code this process should exit with. */
export async function runAsInit(o: ResolvedOptions, redirects: { stdout?: string; stderr?: string }, mode: InitMode): Promise<number> {
  const n = native();
  const log = createLogger(o.logFormat, 2, o.logLevel);
  if (mode.subreaper) check(n.setChildSubreaper(), 'prctl');
  const hold = prepareForeground(o, redirects, { controlSocket: o.kind === 'node' });
  const notifyOuter = outerNotify(log);
  let app: Spawned | null = null;
  let finish!: (e: ChildExit) => void;
  const ended = new Promise<ChildExit>((resolve) => (finish = resolve));
  const early: NodeJS.Signals[] = [];
  // Signal handles do not keep node's loop alive; the app running must.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  const reap = (): void => {
    for (const e of n.reapAny()) {
      if (app && e.pid === app.pid) finish(e);
      else log.debug('reaped', `pid ${e.pid} (${e.signal ? `signal ${e.signal}` : `exit ${e.code}`})`);
    }
  };
  let done = false;
  const forward = (sig: NodeJS.Signals): void => {
    if (done) return; // reaped: its pid may belong to someone else now
    if (!app) return void early.push(sig);
    if (STOPS.includes(sig)) notifyOuter(`STOPPING=1\nSTATUS=stopping (${sig})`);
    try {
      process.kill(app.pid, sig); // our unreaped child: its pid cannot have been reused
    } catch {
      /* it ended; SIGCHLD brings the news */
    }
  };
  const handlers = FORWARDED.map((sig) => [sig, () => forward(sig)] as const);
  // Before the child exists: neither its end nor a signal meant for it may be missed.
  process.on('SIGCHLD', reap);
  for (const [sig, h] of handlers) process.on(sig, h);
  try {
    app = spawnApp(o, hold.controlFd, redirects);
    if (hold.controlFd >= 0) fs.closeSync(hold.controlFd); // the app serves it now
    log.info('init', `${o.name}: ${o.entry} runs as pid ${app.pid}; forwarding ${FORWARDED.map((s) => s.slice(3)).join(' ')}${process.pid === 1 || mode.subreaper ? ', reaping orphans' : ''}`);
    for (const sig of early.splice(0)) forward(sig);
    reap(); // it may have ended before the handler could see it
    void appReady(o, app, ended).then(
      (ok) => {
        if (!ok) return;
        log.info('app-ready', `pid ${app!.pid}`);
        notifyOuter('READY=1\nSTATUS=ready');
      },
      (e: unknown) => log.warn('ready-unknown', e instanceof Error ? e.message : String(e)),
    );
    const e = await ended;
    done = true;
    const code = exitCodeOf(e);
    log.info('app-exit', `pid ${e.pid} ${describeEnd(e)}; exit ${code}`);
    reap(); // orphans that ended meanwhile
    return code;
  } finally {
    done = true;
    // The signal handlers stay: until this process exits, a late TERM must not kill it with 143 instead of the app's code.
    clearInterval(keepAlive);
    app?.notify?.close();
    if (hold.lock) releasePidfile(hold.lock);
  }
}

// Drives a daemon through starting -> ready <-> reloading -> stopping ->
// stopped (DESIGN.md §3), for both `start` (daemonized, readiness on the pipe)
// and `run` (foreground, sd_notify). Signals arrive through libuv, so a
// handler never interrupts running JavaScript; reloads never overlap, and a
// burst of them is coalesced into one more.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { pathToFileURL } from 'node:url';
import { releasePidfile, type LockedPidfile } from '../pidfile';
import { sendRecord } from '../readiness';
import type * as ConfigWatch from './config-watch';
import {
  installRuntimeHooks,
  isDaemonDefinition,
  type DaemonContext,
  type DaemonDefinition,
  type DaemonState,
  type HealthReport,
  type ReloadResult,
} from './define';
import type * as ListenFds from './listen-fds';
import type * as LogReopen from './log-reopen';
import { guardStdio, onLogRecovered } from './log-loss';
import { createLogger, formatLine, type LogFormat, type Logger } from './logger';
import type * as Notify from './notify';
import { StateStore, type State } from './state-store';
import type * as ControlMethods from './control-methods';
import type * as HealthHttp from './health-http';
import type * as Status from './status-report';
import { packageVersion } from '../version';
import type * as RpcServer from '../control/rpc-server';

// Features a daemon may not use load when first needed: every module a daemon
// loads stays in its memory for its whole life (bench/: RSS over the bare app).
/* eslint-disable @typescript-eslint/no-require-imports */
const lazy = {
  configWatch: () => require('./config-watch') as typeof ConfigWatch,
  listenFds: () => require('./listen-fds') as typeof ListenFds,
  logReopen: () => require('./log-reopen') as typeof LogReopen,
  notify: () => require('./notify') as typeof Notify,
  controlMethods: () => require('./control-methods') as typeof ControlMethods,
  healthHttp: () => require('./health-http') as typeof HealthHttp,
  status: () => require('./status-report') as typeof Status,
  rpcServer: () => require('../control/rpc-server') as typeof RpcServer,
};
/* eslint-enable @typescript-eslint/no-require-imports */
type Watcher = ConfigWatch.Watcher;
type ListenFd = ListenFds.ListenFd;
type Notifier = Notify.Notifier;
type NotifyFields = Notify.NotifyFields;
type StatusReport = Status.StatusReport;

export interface LifecycleOptions {
  name: string;
  mode: 'daemon' | 'foreground';
  entry: string;
  args: string[];
  /** Write end of the readiness pipe (daemon mode), or -1. */
  readyFd: number;
  lock: LockedPidfile | null;
  /** Grace period for tracked work at shutdown. */
  graceMs: number;
  logFormat: LogFormat;
  /** Where ctx.state lives, or null for none. */
  stateFile: string | null;
  /** A file whose changes trigger a reload. */
  watchConfig: string | null;
  /** Log files to reopen on SIGUSR2 (null: not a file of ours). */
  stdoutPath: string | null;
  stderrPath: string | null;
  /** Listening control socket fd, or -1 (releasing the pidfile removes its file). */
  controlFd: number;
  /** HTTP /health and /ready, or null. */
  healthPort: number | null;
  healthHost: string;
}

const SHUTDOWN_HOOK_MIN_MS = 1_000;
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

function errorDetail(err: unknown): string {
  return err instanceof Error && err.stack ? err.stack : errorMessage(err);
}

// require() first: it keeps the ES module loader (about 2 MB) out of CommonJS
// daemons, and on Node >= 20.19 it loads synchronous ES modules too. Only an
// ES module that require() cannot load (top-level await, or an older Node)
// goes through import().
async function loadEntry(entry: string): Promise<unknown> {
  if (!entry.endsWith('.mjs')) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(entry) as unknown;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
    }
  }
  return import(pathToFileURL(entry).href);
}

export class Lifecycle {
  phase: DaemonState = 'starting';
  readonly log: Logger;
  private readonly abort = new AbortController();
  private readonly tracked = new Set<Promise<unknown>>();
  private readonly startedAt = Date.now();
  private deadline: number | null = null;
  private def: DaemonDefinition | null = null;
  private runPromise: Promise<void> | null = null;
  private stopSignal: NodeJS.Signals | null = null;
  private shuttingDown = false;
  private readyFd: number;
  private config: unknown = undefined;
  private state: State = {};
  private readonly store: StateStore | null;
  private readonly notifier: Notifier | null;
  private readonly listenFds: ListenFd[];
  private watcher: Watcher | null = null;
  private generation = 0;
  private reloadCount = 0;
  private lastReload: ReloadResult | null = null;
  private reloading: Promise<void> | null = null;
  private reloadPending = false;
  private reloadAfterReady = false;
  private reloadWaiters: (() => void)[] = [];
  readonly ctx: DaemonContext;

  constructor(private readonly o: LifecycleOptions) {
    this.readyFd = o.readyFd;
    this.log = createLogger(o.logFormat);
    this.store = o.stateFile ? new StateStore(o.stateFile, this.log) : null;
    // The service manager's variables belong to this process, not to the program's children.
    this.notifier = o.mode === 'foreground' && process.env.NOTIFY_SOCKET ? lazy.notify().notifierFromEnv(this.log) : null;
    this.listenFds = o.mode === 'foreground' && process.env.LISTEN_FDS ? lazy.listenFds().takeListenFds() : [];
    const self = this;
    this.ctx = {
      name: o.name,
      pid: process.pid,
      mode: o.mode,
      args: o.args,
      signal: this.abort.signal,
      log: this.log,
      listenFds: this.listenFds,
      track: <T>(work: Promise<T>) => self.track(work),
      saveState: () => self.saveState(),
      get config() {
        return self.config;
      },
      get state() {
        return self.state;
      },
      set state(v: State) {
        self.state = v;
      },
      get deadline() {
        return self.deadline;
      },
      get phase() {
        return self.phase;
      },
      get generation() {
        return self.generation;
      },
      get lastReload() {
        return self.lastReload;
      },
    };
  }

  async start(): Promise<void> {
    // Before the program's first console.log: a full disk must cost lines, not the daemon.
    guardStdio();
    onLogRecovered((g) => formatLine(this.o.logFormat, 'warn', 'log-lost', `${g.bytes} bytes in ${g.writes} writes could not be written (${g.code}) since ${g.since}`));
    process.on('exit', () => this.releasePidfile());
    process.on('beforeExit', () => {
      if (this.phase === 'ready') this.log.info('idle-exit', 'nothing keeps the event loop alive (no server, timer or run()); exiting');
      this.phase = 'stopped';
    });
    this.installSignals();
    installRuntimeHooks({ ready: () => this.markReady() });
    this.log.info('starting', `${this.o.name} ${this.o.entry} (node ${process.version}, ${this.o.mode})`);
    // Both answer from the first moment, so `status` and /ready see "starting".
    if (this.o.controlFd >= 0) lazy.rpcServer().startRpcServer(this.o.controlFd, lazy.controlMethods().controlMethods(this), this.log);
    if (this.o.healthPort !== null) {
      try {
        await lazy.healthHttp().startHealthServer(this, this.o.healthPort, this.o.healthHost);
      } catch (err) {
        return this.fail('health', err);
      }
    }

    try {
      if (this.store) this.state = this.store.load();
    } catch (err) {
      return this.fail('state', err);
    }
    let mod: unknown;
    try {
      mod = await loadEntry(this.o.entry);
    } catch (err) {
      return this.fail('load', err);
    }
    const exported = (mod as { default?: unknown }).default;
    this.def = isDaemonDefinition(exported) ? exported : isDaemonDefinition(mod) ? mod : null;
    if (!this.def) {
      // A plain script: its top level has finished, so it is ready now.
      this.markReady();
      return;
    }
    const def = this.def;
    try {
      if (def.loadConfig) this.config = await def.loadConfig(this.ctx);
    } catch (err) {
      return this.fail('config', err);
    }
    try {
      await def.init?.(this.ctx);
    } catch (err) {
      return this.fail('init', err);
    }
    if (this.stopSignal) {
      this.notifyFailure(`stopped by ${this.stopSignal} before it was ready`);
      return this.shutdown(this.stopSignal);
    }
    // Watching begins before readiness: a change from then on is never missed (it waits for ready).
    if (this.o.watchConfig) this.watcher = lazy.configWatch().watchConfig(this.o.watchConfig, () => this.requestReload('config change'), this.log);
    this.markReady();
    // While run() is pending the daemon is alive, even if run() only awaits ctx.signal.
    const keepAlive = def.run ? setInterval(() => {}, 2 ** 30) : undefined;
    this.runPromise = Promise.resolve()
      .then(() => def.run?.(this.ctx))
      .finally(() => clearInterval(keepAlive))
      .then(
        () => {
          if (def.run && !this.shuttingDown) void this.shutdown('run finished');
        },
        (err: unknown) => {
          this.log.error('run-failed', errorDetail(err));
          if (!this.shuttingDown) void this.shutdown('run failed', 1);
        },
      );
    if (this.reloadAfterReady) this.requestReload('SIGHUP during start');
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.tracked.add(work);
    const drop = (): void => {
      this.tracked.delete(work);
    };
    work.then(drop, drop);
    return work;
  }

  private notify(fields: NotifyFields): void {
    this.notifier?.send(fields);
  }

  private markReady(): void {
    if (this.phase !== 'starting') return;
    this.phase = 'ready';
    // performance.now() counts from process start: the whole cost of this node's boot.
    this.log.info('ready', `pid ${process.pid} after ${Math.round(performance.now())} ms`);
    this.sendReadiness({ READY: 1, MAINPID: process.pid });
    this.notify({ READY: 1, MAINPID: process.pid, STATUS: 'ready' });
  }

  // Readiness goes once; then the pipe closes so `start` sees end of file.
  private sendReadiness(fields: { [key: string]: string | number }): void {
    if (this.readyFd < 0) return;
    try {
      sendRecord(this.readyFd, fields);
    } catch {
      /* the starter is gone (EPIPE): nobody to tell */
    }
    try {
      fs.closeSync(this.readyFd);
    } catch {
      /* already closed */
    }
    this.readyFd = -1;
  }

  private notifyFailure(message: string): void {
    this.sendReadiness({ ERROR: message, MAINPID: process.pid });
    this.notify({ STATUS: `failed: ${message}`, ERRNO: 0 });
  }

  // Start-up failed: report it to `start` (or systemd), leave nothing behind.
  private fail(step: 'state' | 'load' | 'config' | 'init' | 'health', err: unknown): void {
    const message = errorMessage(err);
    this.log.error(`${step}-failed`, errorDetail(err));
    const prefixes = { load: `cannot load ${this.o.entry}: `, config: 'invalid config: ', state: 'cannot read state: ', health: 'health server: ', init: '' };
    const prefix = prefixes[step];
    this.notifyFailure(prefix + message);
    this.phase = 'stopped';
    process.exit(1);
  }

  private installSignals(): void {
    for (const sig of STOP_SIGNALS) process.on(sig, () => this.onStopSignal(sig));
    process.on('SIGHUP', () => this.requestReload('SIGHUP'));
    // Without a listener SIGUSR1 would open the inspector on a production daemon.
    process.on('SIGUSR1', () => void this.dumpStatus());
    process.on('SIGUSR2', () => lazy.logReopen().reopenLogs(this.o.stdoutPath, this.o.stderrPath, this.log));
  }

  // --- reload ---

  /** Ask for a reload. Returns when that reload (or the one it joined) has finished. */
  requestReload(source: string): Promise<void> {
    if (this.shuttingDown || this.phase === 'stopping' || this.phase === 'stopped') {
      this.log.info('reload-ignored', `${source}: shutting down`);
      return Promise.resolve();
    }
    if (this.phase === 'starting') {
      this.reloadAfterReady = true;
      this.log.info('reload-deferred', `${source}: runs once start-up has finished`);
      return Promise.resolve();
    }
    if (this.reloading) {
      // One more reload after the current one covers every request made meanwhile.
      this.reloadPending = true;
      return this.reloading;
    }
    this.reloading = this.reloadLoop(source).finally(() => {
      this.reloading = null;
      // Waiters want the outcome once the coalesced reloads are all done.
      for (const wake of this.reloadWaiters.splice(0)) wake();
    });
    return this.reloading;
  }

  private async reloadLoop(source: string): Promise<void> {
    do {
      this.reloadPending = false;
      await this.reloadOnce(source);
      source = 'coalesced requests';
    } while (this.reloadPending && !this.shuttingDown);
  }

  private async reloadOnce(source: string): Promise<void> {
    const def = this.def;
    const generation = ++this.generation;
    this.phase = 'reloading';
    this.log.info('reloading', `generation ${generation} (${source})`);
    this.notify({ RELOADING: 1, MONOTONIC_USEC: this.notifier ? lazy.notify().monotonicUsec() : 0, STATUS: `reloading (generation ${generation})` });
    let error: string | null = null;
    try {
      // The new config is loaded and validated before the program sees it.
      const next = def?.loadConfig ? await def.loadConfig(this.ctx) : this.config;
      await def?.reload?.(this.ctx, next);
      this.config = next;
    } catch (err) {
      error = errorMessage(err);
      this.log.error('reload-failed', `generation ${generation}: ${errorDetail(err)}; the previous config stays`);
    }
    this.reloadCount++;
    this.lastReload = { generation, ok: error === null, error, at: new Date().toISOString() };
    if (error === null) this.log.info('reloaded', `generation ${generation}`);
    if (!this.shuttingDown) this.phase = 'ready';
    this.notify({ READY: 1, STATUS: error === null ? `ready (reload ${generation} applied)` : `ready (reload ${generation} rejected: ${error})` });
  }

  /** Resolves with the result of the reloads after `after` once none is running (`taskdaemon reload` sends SIGHUP, then asks). */
  awaitReload(after: number, timeoutMs: number): Promise<ReloadResult | null> {
    return new Promise((resolve) => {
      const settled = (): boolean => this.generation > after && !this.reloading;
      if (settled()) return resolve(this.lastReload);
      const timer = setTimeout(() => resolve(null), timeoutMs);
      const wake = (): void => {
        if (!settled()) return void this.reloadWaiters.push(wake); // woken by an earlier reload
        clearTimeout(timer);
        resolve(this.lastReload);
      };
      this.reloadWaiters.push(wake);
    });
  }

  // --- status ---

  async status(): Promise<StatusReport & { name: string; version: string; mode: string }> {
    const status = lazy.status();
    const delayMs = await status.measureLoopDelay();
    return {
      name: this.o.name,
      version: packageVersion(),
      mode: this.o.mode,
      ...status.statusReport({
        phase: this.phase,
        startedAt: this.startedAt,
        generation: this.generation,
        reloadCount: this.reloadCount,
        lastReload: this.lastReload,
        inFlight: this.tracked.size,
        health: { ok: true },
      }, delayMs),
    };
  }

  async health(): Promise<HealthReport> {
    if (!this.def?.health) return { ok: this.phase === 'ready' || this.phase === 'reloading' };
    try {
      return await this.def.health(this.ctx);
    } catch (err) {
      return { ok: false, detail: errorMessage(err) };
    }
  }

  private async dumpStatus(): Promise<void> {
    const { name: _n, version: _v, mode: _m, ...report } = { ...(await this.status()), health: await this.health() };
    this.log.info('status', JSON.stringify(report));
  }

  // --- shutdown ---

  private onStopSignal(sig: NodeJS.Signals): void {
    if (this.shuttingDown) {
      // A second stop signal: the operator does not want to wait.
      this.log.warn('forced-exit', `${sig} during shutdown`);
      process.exit(128 + os.constants.signals[sig]);
    }
    if (this.phase === 'starting') {
      if (this.stopSignal) return;
      this.stopSignal = sig;
      this.abort.abort(new Error(`stopped by ${sig}`));
      this.log.info('stop-requested', `${sig} during start-up; stopping when init returns`);
      return;
    }
    if (!this.def && process.listenerCount(sig) > 1) {
      this.log.info('signal', `${sig}: handled by the program's own listener`);
      return;
    }
    void this.shutdown(sig);
  }

  async shutdown(reason: string, exitCode = 0): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.watcher?.close();
    if (this.reloading) {
      this.log.info('stop-waits', `${reason}: waiting for the reload in progress`);
      await this.reloading;
    }
    this.phase = 'stopping';
    this.deadline = Date.now() + this.o.graceMs;
    this.log.info('stopping', reason);
    this.notify({ STOPPING: 1, STATUS: `stopping (${reason})` });
    if (!this.abort.signal.aborted) this.abort.abort(new Error(`shutdown: ${reason}`));

    const pending = [...this.tracked, ...(this.runPromise ? [this.runPromise] : [])];
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.allSettled(pending).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.o.graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.log.error('deadline-passed', `${this.tracked.size} tracked task(s) still in flight after ${this.o.graceMs} ms`);
      exitCode = exitCode || 1;
    }
    // The hook gets what is left of the grace period, and at least a last second.
    const hookMs = Math.max(this.deadline - Date.now(), SHUTDOWN_HOOK_MIN_MS);
    try {
      const finished = await Promise.race([
        Promise.resolve(this.def?.shutdown?.(this.ctx)).then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), hookMs);
        }),
      ]);
      clearTimeout(timer);
      if (!finished) {
        this.log.error('shutdown-timeout', `the shutdown hook did not finish within ${hookMs} ms`);
        exitCode = exitCode || 1;
      }
    } catch (err) {
      clearTimeout(timer);
      this.log.error('shutdown-failed', errorDetail(err));
      exitCode = exitCode || 1;
    }
    this.saveState();
    this.phase = 'stopped';
    this.notifier?.close();
    this.log.info('stopped', `exit ${exitCode}`);
    process.exit(exitCode);
  }

  private saveState(): void {
    if (!this.store) return;
    try {
      this.store.save(this.state);
    } catch (err) {
      this.log.error('state-save-failed', `${this.store.file}: ${errorMessage(err)}`);
    }
  }

  // Runs from process 'exit', so it must be synchronous.
  private releasePidfile(): void {
    if (!this.o.lock) return;
    releasePidfile(this.o.lock);
  }
}

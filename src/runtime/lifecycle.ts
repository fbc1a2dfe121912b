// Drives a daemon through starting -> ready <-> reloading -> stopping ->
// stopped (DESIGN.md §3), for both `start` (daemonized, readiness on the pipe)
// and `run` (foreground, sd_notify). The parts live beside it, one concern
// each: announce.ts (readiness, sd_notify), signals.ts (the signal table),
// reloads.ts (coalescing, results), drain.ts (shutdown's deadline), context.ts
// (what hooks see). It never exits the process itself: `finished` resolves
// with the exit code, and boot.ts or `run` exit with it.
import * as os from 'node:os';
import { releasePidfile } from '../pidfile';
import type { ResolvedOptions } from '../options';
import type { LifecycleOptions } from './lifecycle-options';
import { loadEntry } from './load-entry';
import { packageVersion } from '../version';
import type * as RpcServer from '../control/server/rpc-server';
import { Announcer } from './announce';
import { createContext } from './context';
import type { ControlSurface, DaemonStatusReport } from './control-surface';
import type * as ConfigWatch from './config-watch';
import type * as ControlMethods from './control-methods';
import type * as CustomMethods from './custom-methods';
import type * as AddressReady from './address-ready';
import type { AddressSpec } from '../ready-spec';
import { installRuntimeHooks, isDaemonDefinition, type DaemonContext, type DaemonDefinition, type DaemonState, type HealthReport, type ReloadResult } from './define';
import { drain } from './drain';
import type * as HealthHttp from './health-http';
import type * as ListenFds from './listen-fds';
import type * as LogReopen from './log-reopen';
import { guardStdio, onLogRecovered } from './log-loss';
import { createLogger, formatLine, LEVELS, type Level, type Logger } from './logger';
import * as fs from 'node:fs';
import type * as Notify from './notify';
import { Reloads } from './reloads';
import { installSignals, programHandles, type StopSignal } from './signals';
import { StateStore, type State } from './state-store';
import type * as Status from './status-report';

// Features a daemon may not use load when first needed: every module a daemon
// loads stays in its memory for its whole life (bench/: RSS over the bare app).
/* eslint-disable @typescript-eslint/no-require-imports */
const lazy = {
  configWatch: () => require('./config-watch') as typeof ConfigWatch,
  listenFds: () => require('./listen-fds') as typeof ListenFds,
  logReopen: () => require('./log-reopen') as typeof LogReopen,
  notify: () => require('./notify') as typeof Notify,
  controlMethods: () => require('./control-methods') as typeof ControlMethods,
  customMethods: () => require('./custom-methods') as typeof CustomMethods,
  addressReady: () => require('./address-ready') as typeof AddressReady,
  healthHttp: () => require('./health-http') as typeof HealthHttp,
  status: () => require('./status-report') as typeof Status,
  rpcServer: () => require('../control/server/rpc-server') as typeof RpcServer,
};
/* eslint-enable @typescript-eslint/no-require-imports */

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

function errorDetail(err: unknown): string {
  return err instanceof Error && err.stack ? err.stack : errorMessage(err);
}

type FailedStep = 'state' | 'load' | 'config' | 'init' | 'health' | 'ready';

export class Lifecycle implements ControlSurface {
  phase: DaemonState = 'starting';
  readonly log: Logger;
  readonly ctx: DaemonContext;
  /** Resolves with the exit code once the daemon is done (stopped, failed, or forced). */
  readonly finished: Promise<number>;
  private finish!: (code: number) => void;
  private readonly abort = new AbortController();
  private readonly tracked = new Set<Promise<unknown>>();
  private readonly startedAt = Date.now();
  private readonly announce: Announcer;
  private readonly reloads: Reloads;
  private readonly store: StateStore | null;
  private deadline: number | null = null;
  private def: DaemonDefinition | null = null;
  private config: unknown = undefined;
  private state: State = {};
  private runPromise: Promise<void> | null = null;
  private stopSignal: StopSignal | null = null;
  private shuttingDown = false;
  private watcher: ConfigWatch.Watcher | null = null;
  private readyWaiters: (() => void)[] = [];
  /** What the control socket answers (null without one); the program's own methods join once it is loaded. */
  private methods: { [name: string]: RpcServer.Method } | null = null;
  /** --ready tcp:/unix: the address is being (or was) waited for. */
  private addressAwaited = false;

  constructor(private readonly o: LifecycleOptions) {
    this.finished = new Promise((resolve) => (this.finish = resolve));
    this.log = createLogger(o.options.logFormat, 2, o.options.logLevel);
    this.store = o.options.stateFile ? new StateStore(o.options.stateFile, this.log) : null;
    // The service manager's variables belong to this process, not to the program's children.
    const notifier = o.mode === 'foreground' && process.env.NOTIFY_SOCKET ? lazy.notify().notifierFromEnv(this.log) : null;
    this.announce = new Announcer(o.readyFd, notifier, () => lazy.notify().monotonicUsec(), o.supervised === true);
    // Sockets from systemd (`run`), or from the supervisor an instance runs under (DESIGN.md §8).
    const listenFds = (o.mode === 'foreground' || o.supervised) && process.env.LISTEN_FDS ? lazy.listenFds().takeListenFds() : [];
    this.reloads = new Reloads({
      readiness: () => (this.shuttingDown || this.phase === 'stopping' || this.phase === 'stopped' ? 'ignore' : this.phase === 'starting' ? 'defer' : 'now'),
      apply: () => this.applyReload(),
      began: (generation, source) => {
        this.phase = 'reloading';
        this.log.info('reloading', `generation ${generation} (${source})`);
        this.announce.reloading(generation);
      },
      ended: (r) => {
        if (r.ok) this.log.info('reloaded', `generation ${r.generation}`);
        else this.log.error('reload-failed', `generation ${r.generation}: ${r.error}; the previous config stays`);
        if (!this.shuttingDown) this.phase = 'ready';
        this.announce.reloaded(r.generation, r.error);
      },
      skipped: (source, why) =>
        this.log.info(`reload-${why}`, why === 'deferred' ? `${source}: runs once start-up has finished` : `${source}: shutting down`),
    });
    this.ctx = createContext(
      { name: o.options.name, mode: o.mode, args: o.options.args, signal: this.abort.signal, log: this.log, listenFds },
      {
        track: (work) => this.track(work),
        saveState: () => this.saveState(),
        config: () => this.config,
        state: () => this.state,
        setState: (v) => (this.state = v),
        deadline: () => this.deadline,
        phase: () => this.phase,
        generation: () => this.reloads.generation,
        lastReload: () => this.reloads.last,
      },
    );
  }

  // --- the control surface ---

  get generation(): number {
    return this.reloads.generation;
  }

  get reloadInProgress(): boolean {
    return this.reloads.inProgress;
  }

  get startOptions(): ResolvedOptions | null {
    return this.o.mode === 'daemon' ? this.o.options : null;
  }

  requestReload(source: string): Promise<void> {
    return this.reloads.request(source);
  }

  awaitReload(after: number, timeoutMs: number): Promise<ReloadResult | null> {
    return this.reloads.awaitResult(after, timeoutMs);
  }

  /** Resolves with the phase once start-up is over (or still 'starting' after timeoutMs): `start --oknodo` waits on it. */
  awaitReady(timeoutMs: number): Promise<DaemonState> {
    if (this.phase !== 'starting') return Promise.resolve(this.phase);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(this.phase);
      };
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== wake);
        resolve(this.phase);
      }, timeoutMs);
      this.readyWaiters.push(wake);
    });
  }

  async status(): Promise<DaemonStatusReport> {
    const status = lazy.status();
    const delayMs = await status.measureLoopDelay();
    return {
      name: this.o.options.name,
      version: packageVersion(),
      mode: this.o.mode,
      ...status.statusReport(
        {
          phase: this.phase,
          startedAt: this.startedAt,
          generation: this.reloads.generation,
          reloadCount: this.reloads.count,
          lastReload: this.reloads.last,
          inFlight: this.tracked.size,
          health: { ok: true },
        },
        delayMs,
      ),
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

  // --- start-up ---

  async start(): Promise<void> {
    // Before the program's first console.log: a full disk must cost lines, not the daemon.
    guardStdio();
    onLogRecovered((g) => formatLine(this.o.options.logFormat, 'warn', 'log-lost', `${g.bytes} bytes in ${g.writes} writes could not be written (${g.code}) since ${g.since}`));
    process.on('exit', (code) => {
      if (this.announce.startPending) this.announce.exiting(code);
      this.releasePidfile();
    });
    process.on('beforeExit', () => {
      if (this.phase === 'ready') this.log.info('idle-exit', 'nothing keeps the event loop alive (no server, timer or run()); exiting');
      this.phase = 'stopped';
    });
    installSignals({
      stop: (sig) => this.onStopSignal(sig),
      reload: () => void this.reloads.request('SIGHUP'),
      dumpStatus: () => void this.dumpStatus(),
      reopenLogs: () => lazy.logReopen().reopenLogs(this.o.stdoutPath, this.o.stderrPath, this.log),
    });
    installRuntimeHooks({ ready: () => this.markReady(), options: this.o.options, mode: this.o.mode });
    this.log.info('starting', `${this.o.options.name} ${this.o.options.entry} (node ${process.version}, ${this.o.mode})`);
    // The control socket listens already (`start` made it): a client that
    // connects now waits in its backlog until the server accepts. It accepts
    // from the moment the program first waits (for its init's I/O; past
    // READY=1 for one that is ready at once), so a long init still answers
    // `status` with "starting", and loading node:net and the server (about
    // 7 ms; an HTTP program loads net itself anyway) is not on the way to
    // readiness (bench/RESULTS.md).
    if (this.o.controlFd >= 0) {
      const methods = (this.methods = lazy.controlMethods().controlMethods(this));
      setImmediate(() => lazy.rpcServer().startRpcServer(this.o.controlFd, methods, this.log));
    }
    // The health port answers from the first moment, so /ready says "starting".
    if (this.o.options.healthPort !== null) {
      try {
        await lazy.healthHttp().startHealthServer(this, this.o.options.healthPort, this.o.options.healthHost, this.log);
      } catch (err) {
        return this.fail('health', err);
      }
    }
    try {
      if (this.store) this.state = this.store.load();
    } catch (err) {
      return this.fail('state', err);
    }
    // daemonize(): the program is already running; it says when it is ready (the runtime hook).
    if (this.o.program === 'self') return;
    let mod: unknown;
    try {
      mod = await loadEntry(this.o.options.entry);
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
    if (def.methods && this.methods) {
      Object.assign(this.methods, lazy.customMethods().customMethods(def.methods, this.ctx, { awaitReady: (ms) => this.awaitReady(ms), readyTimeoutMs: this.o.options.readyTimeoutMs }));
    }
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
      this.announce.failed(`stopped by ${this.stopSignal} before it was ready`);
      return this.shutdown(this.stopSignal);
    }
    // Watching begins before readiness: a change from then on is never missed (it waits for ready).
    if (this.o.options.watchConfig) this.watcher = lazy.configWatch().watchConfig(this.o.options.watchConfig, () => void this.reloads.request('config change'), this.log);
    this.markReady();
    this.runProgram(def);
  }

  private runProgram(def: DaemonDefinition): void {
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
          // run() awaiting something with { signal: ctx.signal } rejects when our own stop aborts it: a normal end.
          if (this.abortedByUs(err)) return;
          this.log.error('run-failed', errorDetail(err));
          if (!this.shuttingDown) void this.shutdown('run failed', 1);
        },
      );
  }

  private abortedByUs(err: unknown): boolean {
    if (!this.abort.signal.aborted) return false;
    const reason: unknown = this.abort.signal.reason;
    return err === reason || (err instanceof Error && (err.name === 'AbortError' || err.cause === reason));
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.tracked.add(work);
    const drop = (): void => {
      this.tracked.delete(work);
    };
    work.then(drop, drop);
    return work;
  }

  private markReady(): void {
    if (this.phase !== 'starting') return;
    const ready = this.o.options.ready;
    if ((ready?.kind === 'tcp' || ready?.kind === 'unix') && !this.addressAwaited) {
      this.addressAwaited = true;
      void this.readyOnceAccepting(ready);
      return;
    }
    this.phase = 'ready';
    // Counted from node's start: the whole cost of this node's boot. process.uptime(),
    // not performance.now(): the first use of `performance` loads perf_hooks (2-4 ms, before READY=1).
    this.log.info('ready', `pid ${process.pid} after ${Math.round(process.uptime() * 1000)} ms`);
    this.announce.ready();
    for (const wake of this.readyWaiters.splice(0)) wake();
    this.reloads.startupDone();
  }

  // The program is ready by its own account; ready for everyone once its address accepts too.
  private async readyOnceAccepting(a: AddressSpec): Promise<void> {
    try {
      await lazy.addressReady().awaitAddress(a, { deadline: this.startedAt + this.o.options.readyTimeoutMs, signal: this.abort.signal });
    } catch (err) {
      if (!this.stopSignal) return this.fail('ready', err);
      this.announce.failed(`stopped by ${this.stopSignal} before it was ready`);
      return this.shutdown(this.stopSignal);
    }
    this.markReady();
  }

  // Start-up failed: tell `start` (or systemd) why, leave nothing behind.
  private fail(step: FailedStep, err: unknown): void {
    this.log.error(`${step}-failed`, errorDetail(err));
    const prefixes: { [s in FailedStep]: string } = { load: `cannot load ${this.o.options.entry}: `, config: 'invalid config: ', state: 'cannot read state: ', health: 'health server: ', init: '', ready: 'not ready: ' };
    this.announce.failed(prefixes[step] + errorMessage(err));
    this.phase = 'stopped';
    this.finish(1);
  }

  // --- reload ---

  private async applyReload(): Promise<void> {
    this.rereadLogLevel();
    const def = this.def;
    // The new config is loaded and validated before the program sees it.
    const next = def?.loadConfig ? await def.loadConfig(this.ctx) : this.config;
    await def?.reload?.(this.ctx, next);
    this.config = next;
  }

  // A reload re-reads log_level from the config file the daemon was started
  // with (when the file sets it): the one taskdaemon option a reload changes.
  // Only that key is read: the parser alone, not the validator and the option
  // table, which would stay in the daemon's memory for good.
  private rereadLogLevel(): void {
    const file = this.o.options.configFile;
    if (!file) return;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const value = ((require('smol-toml') as { parse(text: string): unknown }).parse(fs.readFileSync(file, 'utf8')) as { log_level?: unknown }).log_level;
      if (value === undefined) return;
      if (!(LEVELS as readonly unknown[]).includes(value)) throw new Error(`log_level ${JSON.stringify(value)} is not one of ${LEVELS.join(', ')}`);
      if (value === this.log.level) return;
      this.log.level = value as Level;
      this.log.notice('log-level', `${String(value)} (from ${file})`);
    } catch (err) {
      this.log.warn('log-level', `cannot re-read ${file}: ${errorMessage(err)}; keeping ${this.log.level}`);
    }
  }

  private async dumpStatus(): Promise<void> {
    const { name: _n, version: _v, mode: _m, ...report } = { ...(await this.status()), health: await this.health() };
    this.log.info('status', JSON.stringify(report));
  }

  // --- shutdown ---

  private onStopSignal(sig: StopSignal): void {
    if (this.shuttingDown) {
      // A second stop signal: the operator does not want to wait.
      this.log.warn('forced-exit', `${sig} during shutdown`);
      this.finish(128 + os.constants.signals[sig]);
      return;
    }
    if (this.phase === 'starting') {
      if (this.stopSignal) return;
      this.stopSignal = sig;
      this.abort.abort(new Error(`stopped by ${sig}`));
      this.log.info('stop-requested', `${sig} during start-up; stopping when init returns`);
      return;
    }
    if (!this.def && programHandles(sig)) {
      this.log.info('signal', `${sig}: handled by the program's own listener`);
      return;
    }
    void this.shutdown(sig);
  }

  async shutdown(reason: string, exitCode = 0): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.reloads.stop();
    this.watcher?.close();
    if (this.reloads.current) {
      this.log.info('stop-waits', `${reason}: waiting for the reload in progress`);
      await this.reloads.current;
    }
    this.phase = 'stopping';
    this.deadline = Date.now() + this.o.options.graceMs;
    this.log.info('stopping', reason);
    this.announce.stopping(reason);
    if (!this.abort.signal.aborted) this.abort.abort(new Error(`shutdown: ${reason}`));
    const def = this.def;
    const drained = await drain({
      pending: [...this.tracked, ...(this.runPromise ? [this.runPromise] : [])],
      inFlight: () => this.tracked.size,
      graceMs: this.o.options.graceMs,
      deadline: this.deadline,
      hook: def?.shutdown ? () => def.shutdown!(this.ctx) : null,
      log: this.log,
    });
    exitCode = exitCode || drained;
    this.saveState();
    this.phase = 'stopped';
    this.announce.close();
    this.log.info('stopped', `exit ${exitCode}`);
    this.finish(exitCode);
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
    if (this.o.lock) releasePidfile(this.o.lock);
  }
}

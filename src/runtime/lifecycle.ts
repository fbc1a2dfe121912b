// Drives a daemon through starting -> ready -> stopping -> stopped, for both
// `start` (daemonized, readiness on the pipe) and `run` (foreground). Signals
// arrive through libuv, so a handler never interrupts running JavaScript.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { pathToFileURL } from 'node:url';
import { releasePidfile, type LockedPidfile } from '../pidfile';
import { sendRecord } from '../readiness';
import { installRuntimeHooks, isDaemonDefinition, type DaemonContext, type DaemonDefinition, type DaemonState } from './define';
import { createLogger, type Logger } from './logger';

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
}

export const DEFAULT_GRACE_MS = 30_000;
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
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
  state: DaemonState = 'starting';
  private readonly log: Logger = createLogger();
  private readonly abort = new AbortController();
  private readonly tracked = new Set<Promise<unknown>>();
  private deadline: number | null = null;
  private def: DaemonDefinition | null = null;
  private runPromise: Promise<void> | null = null;
  private stopSignal: NodeJS.Signals | null = null;
  private readyFd: number;
  private readonly ctx: DaemonContext;

  constructor(private readonly o: LifecycleOptions) {
    this.readyFd = o.readyFd;
    const self = this;
    this.ctx = {
      name: o.name,
      pid: process.pid,
      mode: o.mode,
      args: o.args,
      signal: this.abort.signal,
      log: this.log,
      track: <T>(work: Promise<T>) => self.track(work),
      get deadline() {
        return self.deadline;
      },
      get state() {
        return self.state;
      },
    };
  }

  async start(): Promise<void> {
    process.on('exit', () => this.releasePidfile());
    process.on('beforeExit', () => {
      if (this.state === 'ready') this.log.info('idle-exit', 'nothing keeps the event loop alive (no server, timer or run()); exiting');
      this.state = 'stopped';
    });
    this.installSignals();
    installRuntimeHooks({ ready: () => this.markReady() });
    this.log.info('starting', `${this.o.name} ${this.o.entry} (node ${process.version}, ${this.o.mode})`);

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
    try {
      await this.def.init?.(this.ctx);
    } catch (err) {
      return this.fail('init', err);
    }
    if (this.stopSignal) {
      this.notifyFailure(`stopped by ${this.stopSignal} before it was ready`);
      return this.shutdown(this.stopSignal);
    }
    this.markReady();
    const def = this.def;
    // While run() is pending the daemon is alive, even if run() only awaits ctx.signal.
    const keepAlive = def.run ? setInterval(() => {}, 2 ** 30) : undefined;
    this.runPromise = Promise.resolve()
      .then(() => def.run?.(this.ctx))
      .finally(() => clearInterval(keepAlive))
      .then(
        () => {
          if (def.run && this.state === 'ready') void this.shutdown('run finished');
        },
        (err: unknown) => {
          this.log.error('run-failed', err instanceof Error && err.stack ? err.stack : errorMessage(err));
          if (this.state === 'ready') void this.shutdown('run failed', 1);
        },
      );
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
    if (this.state !== 'starting') return;
    this.state = 'ready';
    // performance.now() counts from process start: the whole cost of this node's boot.
    this.log.info('ready', `pid ${process.pid} after ${Math.round(performance.now())} ms`);
    this.sendReadiness({ READY: 1, MAINPID: process.pid });
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
  }

  // init (or loading the module) failed: report it to `start`, leave nothing behind.
  private fail(step: 'load' | 'init', err: unknown): void {
    const message = errorMessage(err);
    this.log.error(`${step}-failed`, err instanceof Error && err.stack ? err.stack : message);
    this.notifyFailure(step === 'load' ? `cannot load ${this.o.entry}: ${message}` : message);
    this.state = 'stopped';
    process.exit(1);
  }

  private installSignals(): void {
    for (const sig of STOP_SIGNALS) process.on(sig, () => this.onStopSignal(sig));
    process.on('SIGHUP', () => this.log.info('sighup', 'reload is not supported by this version; ignored'));
    // Without a listener SIGUSR1 would open the inspector on a production daemon.
    process.on('SIGUSR1', () => this.log.info('status', `state ${this.state}, in-flight ${this.tracked.size}`));
    process.on('SIGUSR2', () => this.log.info('sigusr2', 'log reopening is not supported by this version; ignored'));
  }

  private onStopSignal(sig: NodeJS.Signals): void {
    if (this.state === 'stopping') {
      // A second stop signal: the operator does not want to wait.
      this.log.warn('forced-exit', `${sig} during shutdown`);
      process.exit(128 + os.constants.signals[sig]);
    }
    if (this.state === 'starting') {
      this.stopSignal = sig;
      this.abort.abort(new Error(`stopped by ${sig}`));
      this.log.info('stop-requested', `${sig} during init; stopping when init returns`);
      return;
    }
    if (!this.def && process.listenerCount(sig) > 1) {
      this.log.info('signal', `${sig}: handled by the program's own listener`);
      return;
    }
    void this.shutdown(sig);
  }

  async shutdown(reason: string, exitCode = 0): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    this.deadline = Date.now() + this.o.graceMs;
    this.log.info('stopping', reason);
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
    try {
      await this.def?.shutdown?.(this.ctx);
    } catch (err) {
      this.log.error('shutdown-failed', err instanceof Error && err.stack ? err.stack : errorMessage(err));
      exitCode = exitCode || 1;
    }
    this.state = 'stopped';
    this.log.info('stopped', `exit ${exitCode}`);
    process.exit(exitCode);
  }

  // Runs from process 'exit', so it must be synchronous.
  private releasePidfile(): void {
    if (!this.o.lock) return;
    releasePidfile(this.o.lock);
  }
}

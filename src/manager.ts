// DaemonManager: the library API the CLI is built on (DESIGN.md §4). A
// program can manage its own daemons with it: start one and wait until it is
// ready, ask its status, reload it, stop it, clean up after a crash.
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as RpcClient from './control/client/rpc-client';
import type * as StopStatus from './control/client/stop-status';
import type * as Reload from './control/client/reload';
import type * as Inspect from './control/client/inspect';
import type * as EnsureRunning from './control/client/ensure-running';
import type * as Call from './control/client/call';
import type * as Daemonize from './daemonize';
import { EXIT } from './exit-codes';
import { TaskdaemonError } from './errors';
import type * as Options from './options';
import type { DaemonOptions, ResolvedOptions } from './options';
import type * as Pidfile from './pidfile';
import type { ReloadResult } from './runtime/define';
import type * as Terminate from './terminate';

// Every daemon's `import { defineDaemon } from 'taskdaemon'` loads this module
// too (an ES module import binds every name), so its dependencies load when a
// manager is used, not when it is imported.
const lazy = {
  options: () => require('./options') as typeof Options,
  rpc: () => require('./control/client/rpc-client') as typeof RpcClient,
  pidfile: () => require('./pidfile') as typeof Pidfile,
  terminate: () => require('./terminate') as typeof Terminate,
  stopStatus: () => require('./control/client/stop-status') as typeof StopStatus,
  daemonize: () => require('./daemonize') as typeof Daemonize,
  ensureRunning: () => require('./control/client/ensure-running') as typeof EnsureRunning,
  reload: () => require('./control/client/reload') as typeof Reload,
  inspect: () => require('./control/client/inspect') as typeof Inspect,
  call: () => require('./control/client/call') as typeof Call,
};

export interface ManagerOptions extends DaemonOptions {
  /** Seconds between SIGTERM and SIGKILL on stop. Default 30. */
  stopTimeout?: number;
  /** start-stop-daemon schedule for stop (wins over stopTimeout). */
  retry?: string;
}

/** LSB's words, as `taskdaemon status` uses them; 'failed': the last start() of this manager failed and nothing runs. */
export type ManagedState = 'running' | 'dead' | 'stopped' | 'failed';

export interface ManagedStatus {
  state: ManagedState;
  pid: number | null;
  detail: string;
  /** The daemon's own report, when its control socket answers. */
  report?: Inspect.Inspection['report'];
  /** Running, but stopped by a signal (SIGSTOP): it answers nothing until SIGCONT. */
  stopped?: boolean;
}

export class DaemonManager {
  readonly options: ResolvedOptions;
  private readonly stopTimeoutMs: number;
  private readonly retry: string | undefined;
  private lastFailure: Error | null = null;

  /** Validates everything at once: a bad option throws here, before anything runs. */
  constructor(opts: ManagerOptions) {
    this.options = lazy.options().resolveOptions(opts);
    if (!this.options.pidfile) throw new TaskdaemonError('a managed daemon needs a pidfile', { exitCode: EXIT.INVALID_ARGS });
    this.stopTimeoutMs = Math.round((opts.stopTimeout ?? 30) * 1000);
    this.retry = opts.retry;
  }

  get name(): string {
    return this.options.name;
  }

  get pidfile(): string {
    return this.options.pidfile!;
  }

  get socket(): string {
    return lazy.rpc().controlSocketPath(this.pidfile);
  }

  // A start's outcome is remembered for status(): 'failed' with its message until one succeeds.
  private async remembered<T>(start: Promise<T>): Promise<T> {
    try {
      const r = await start;
      this.lastFailure = null;
      return r;
    } catch (err) {
      // Another's running daemon is not this manager's failure.
      if ((err as { code?: string }).code !== 'ERR_ALREADY_RUNNING') this.lastFailure = err as Error;
      throw err;
    }
  }

  /** Daemonize and resolve when it is ready. Rejects with the daemon's own error; then status() is 'failed'. */
  start(control: Daemonize.StartControl = {}): Promise<Daemonize.StartResult> {
    return this.remembered(lazy.daemonize().startDaemon(this.options, control));
  }

  /**
   * Start it unless it runs; resolve once it is ready, whoever started it (many
   * callers at once give one daemon). `started` says whether this call started it.
   */
  ensureRunning(control: Daemonize.StartControl = {}): Promise<EnsureRunning.EnsureResult> {
    return this.remembered(lazy.ensureRunning().ensureRunning(this.options, control));
  }

  /** SIGTERM (or the retry schedule), wait for the exit, remove the pidfile. */
  stop(): Promise<StopStatus.StopResult> {
    return lazy.stopStatus().stopDaemon({ pidfile: this.pidfile, timeoutMs: this.stopTimeoutMs, ...(this.retry && { retry: this.retry }) });
  }

  async restart(): Promise<Daemonize.StartResult> {
    await this.stop();
    return this.start();
  }

  /** Send a signal to the lock holder only. False when nothing runs. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    const { probePidfile, holdsLock } = lazy.pidfile();
    const p = probePidfile(this.pidfile);
    if (p.state !== 'locked' || p.pid === null) return false;
    const pid = p.pid;
    const r = lazy.terminate().signalProcess(pid, signal, () => holdsLock(pid, p.dev, p.ino));
    if (r === 'not-ours') throw lazy.stopStatus().notLockHolder(this.pidfile, pid, p.dev, p.ino);
    return r === 'sent';
  }

  getPid(): number | null {
    const p = lazy.pidfile().probePidfile(this.pidfile);
    return p.state === 'locked' ? p.pid : null;
  }

  isRunning(): boolean {
    return lazy.pidfile().probePidfile(this.pidfile).state === 'locked';
  }

  /** The same facts as `taskdaemon status`, from the same code (control/inspect.ts). */
  async status(): Promise<ManagedStatus> {
    const s = await lazy.inspect().inspectDaemon(this.pidfile);
    if (s.state === 'running') {
      const detail = s.stopped ? 'stopped by a signal; it answers nothing until SIGCONT' : s.report ? `phase ${s.report.phase}` : (s.controlError ?? 'pidfile locked');
      return { state: 'running', pid: s.pid, detail, ...(s.report && { report: s.report }), ...(s.stopped && { stopped: true }) };
    }
    if (s.state === 'dead' && s.gaveUp) return { state: 'dead', pid: s.pid, detail: `its supervisor (pid ${s.pid}) gave up: ${s.gaveUp}`, ...(s.report && { report: s.report }) };
    if (s.state === 'dead') return { state: 'dead', pid: s.pid, detail: `pidfile names pid ${s.pid}, which does not hold its lock` };
    if (this.lastFailure) return { state: 'failed', pid: null, detail: this.lastFailure.message };
    return { state: 'stopped', pid: null, detail: 'not running' };
  }

  /** Wait until a running daemon reports phase 'ready' (e.g. one started by someone else, or reloading). */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.status();
      if (s.state === 'running' && s.report?.phase === 'ready') return;
      if (s.state !== 'running' && s.state !== 'stopped') throw new TaskdaemonError(`${this.name} is ${s.state}: ${s.detail}`, { code: 'ERR_NOT_READY' });
      if (Date.now() > until) throw new TaskdaemonError(`${this.name} was not ready within ${timeoutMs} ms`, { code: 'ERR_NOT_READY' });
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGHUP, then the result of the reload it caused (the same protocol as `taskdaemon reload`). */
  async reload(timeoutMs = 60_000): Promise<ReloadResult> {
    const { pid, result } = await lazy.reload().reloadDaemon(this.pidfile, this.name, timeoutMs);
    if (!result) throw new TaskdaemonError(`sent SIGHUP to ${this.name} (pid ${pid}); it has no control socket, so the result is unknown`, { code: 'ERR_RELOAD_UNOBSERVED' });
    return result;
  }

  /**
   * Call one of the daemon's own control methods (defineDaemon({ methods })) and
   * resolve with its JSON result. Rejects with the method's own error message
   * (code ERR_METHOD_FAILED), ERR_UNKNOWN_METHOD, ERR_NOT_RUNNING, or
   * ERR_CONTROL_TIMEOUT after timeoutMs.
   */
  call<T = unknown>(method: string, params: object = {}, timeoutMs = 60_000): Promise<T> {
    return lazy.call().callMethod(this.pidfile, this.name, method, params, timeoutMs) as Promise<T>;
  }

  /** Remove the pidfile and control socket a dead daemon left behind (status 'dead'). True if something was removed. */
  cleanupStale(): boolean {
    const p = lazy.pidfile().probePidfile(this.pidfile);
    if (p.state !== 'stale' && p.state !== 'empty') return false;
    return lazy.pidfile().removeStalePidfile(this.pidfile);
  }
}

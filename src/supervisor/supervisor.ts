// The supervisor (DESIGN.md §8): the daemonized process of a supervised
// start. It holds the pidfile lock, the control socket and the --listen
// sockets for its whole life, runs the program as N instances (instance.ts),
// reaps them on SIGCHLD (native waitChild: it has no libuv children) and
// starts an instance that ended again (backoff.ts), until --restart-limit is
// passed: then it stops the others, closes the sockets and stays, holding the
// lock, in the 'failed' phase, so `status` can say why (exit 1, "dead").
// HUP reloads every instance (reload.ts), TERM stops them all, and
// `restart --graceful` replaces them one at a time (graceful.ts).
// It never loads the program's modules: its memory is a bare node's and a little.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { formatDuration } from '../duration';
import { native } from '../native';
import type { ResolvedOptions } from '../options';
import { releasePidfile, type LockedPidfile } from '../pidfile';
import { Announcer } from '../runtime/announce';
import type * as ConfigWatch from '../runtime/config-watch';
import type { DaemonState, ReloadResult } from '../runtime/define';
import { createLogger, type Logger } from '../runtime/logger';
import { Reloads } from '../runtime/reloads';
import { Backoff, type Decision } from './backoff';
import { describeEnd, exitCodeOf, failed, type End } from '../process-end';
import { Instance } from './instance';
import type { Supervision } from './options';
import { reloadInstances } from './reload';
import { instanceOptions } from './native-plan';

export type SupervisorPhase = 'starting' | 'ready' | 'reloading' | 'stopping' | 'stopped' | 'failed';

export interface SupervisorInput {
  /** The options `start` resolved; `supervise` is set. */
  options: ResolvedOptions;
  readyFd: number;
  lock: LockedPidfile | null;
  listen: { fd: number; name: string }[];
}

export interface Slot {
  /** 1..N, as `status` numbers the instances. */
  index: number;
  current: Instance | null;
  /** The replacement `restart --graceful` is starting. */
  next: Instance | null;
  restarts: number;
  backoff: Backoff;
  timer: NodeJS.Timeout | null;
  restartAt: number | null;
  lastEnd: (End & { pid: number }) | null;
}

export interface GaveUp {
  reason: string;
  at: number;
  slot: number;
  pid: number;
  end: End;
  restarts: number;
}

/** Past SIGTERM and --grace, an instance gets this long before SIGKILL (its shutdown hook's last second, and node's exit). */
export const KILL_MARGIN_MS = 5_000;

export class Supervisor {
  phase: SupervisorPhase = 'starting';
  readonly log: Logger;
  readonly options: ResolvedOptions;
  readonly sup: Supervision;
  readonly startedAt = Date.now();
  readonly slots: Slot[];
  readonly finished: Promise<number>;
  readonly reloads: Reloads;
  gaveUp: GaveUp | null = null;
  /** restart --graceful in progress (graceful.ts). */
  replacing = false;
  private finish!: (code: number) => void;
  private readonly announce: Announcer;
  /** Instances not reaped yet. */
  private readonly live = new Set<Instance>();
  private readonly instanceOptions: ResolvedOptions;
  private readyWaiters: (() => void)[] = [];
  private watcher: ConfigWatch.Watcher | null = null;

  constructor(private readonly input: SupervisorInput) {
    this.options = input.options;
    this.sup = input.options.supervise!;
    this.log = createLogger(this.options.logFormat, 2, this.options.logLevel);
    this.finished = new Promise((resolve) => (this.finish = resolve));
    this.announce = new Announcer(input.readyFd, null, () => '0');
    // What the supervisor does itself (the health port, watching the config) its instances must not do too.
    this.instanceOptions = instanceOptions(this.options);
    this.slots = Array.from({ length: this.sup.instances }, (_, i) => ({
      index: i + 1,
      current: null,
      next: null,
      restarts: 0,
      backoff: new Backoff(this.sup),
      timer: null,
      restartAt: null,
      lastEnd: null,
    }));
    this.reloads = new Reloads({
      readiness: () => (this.phase === 'stopping' || this.phase === 'stopped' ? 'ignore' : this.phase === 'starting' ? 'defer' : 'now'),
      apply: () => reloadInstances(this),
      began: (generation, source) => {
        if (this.phase === 'ready') this.phase = 'reloading';
        this.log.info('reloading', `generation ${generation} (${source}): SIGHUP to every instance`);
      },
      ended: (r) => {
        if (r.ok) this.log.info('reloaded', `generation ${r.generation}`);
        else this.log.error('reload-failed', `generation ${r.generation}: ${r.error}`);
        if (this.phase === 'reloading') this.phase = 'ready';
      },
      skipped: (source, why) => this.log.info(`reload-${why}`, why === 'deferred' ? `${source}: runs once the instances are ready` : `${source}: stopping`),
    });
  }

  get generation(): number {
    return this.reloads.generation;
  }

  /** Instances that run now (a replacement being started included). */
  get instances(): Instance[] {
    return [...this.live];
  }

  // --- start-up ---

  async start(): Promise<void> {
    // Signal handlers do not keep node's loop alive, and between an instance's
    // end and its restart nothing else may: the supervisor lives until it finishes.
    const keepAlive = setInterval(() => {}, 2 ** 30);
    void this.finished.then(() => clearInterval(keepAlive));
    process.on('exit', (code) => {
      if (this.announce.startPending) this.announce.exiting(code);
      if (this.input.lock) releasePidfile(this.input.lock);
    });
    process.on('SIGCHLD', () => this.reap());
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) process.on(sig, () => this.onStopSignal(sig));
    process.on('SIGHUP', () => void this.reloads.request('SIGHUP'));
    process.on('SIGUSR1', () => void this.dumpStatus());
    process.on('SIGUSR2', () => this.reopenLogs());
    const s = this.sup;
    const sockets = s.listen.map((l) => `${l.name}=${l.text.replace(/^[^=:]+=/, '')}`).join(', ');
    this.log.info('supervising', `${this.options.name} ${this.options.entry}: ${s.instances} instance(s), --restart ${s.restart}${sockets ? `, listening on ${sockets}` : ''} (node ${process.version})`);
    if (this.options.healthPort !== null) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { supervisorHealth } = require('./report') as typeof import('./report');
        // /ready is 200 once every instance was ready; /health says which are not.
        const phase = (): DaemonState => (this.phase === 'failed' ? 'stopped' : this.phase);
        const surface = {
          get phase(): DaemonState {
            return phase();
          },
          health: async () => supervisorHealth(this),
        };
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        await (require('../runtime/health-http') as typeof import('../runtime/health-http')).startHealthServer(surface, this.options.healthPort, this.options.healthHost, this.log);
      } catch (e) {
        return this.startFailed(`health server: ${(e as Error).message}`);
      }
    }
    const ready: Promise<{ ok: boolean; error?: string; slot: number }>[] = [];
    for (const slot of this.slots) {
      let inst: Instance;
      try {
        inst = this.spawn(slot);
      } catch (e) {
        return this.startFailed(`instance ${slot.index} could not be started: ${(e as Error).message}`);
      }
      ready.push(inst.ready.then((r) => ({ ...r, slot: slot.index })));
    }
    // The first instance that fails makes the start fail, with its own message.
    const failure = await new Promise<string | null>((resolve) => {
      let left = ready.length;
      for (const r of ready) {
        void r.then((x) => {
          if (!x.ok) resolve(this.sup.instances > 1 ? `instance ${x.slot}: ${x.error}` : x.error!);
          else if (--left === 0) resolve(null);
        });
      }
    });
    if (this.phase !== 'starting') return; // stopped meanwhile
    if (failure !== null) return this.startFailed(failure);
    this.phase = 'ready';
    this.log.info('ready', `pid ${process.pid}: ${this.instances.map((i) => `instance ${i.slot} pid ${i.pid}`).join(', ')} ready after ${Math.round(process.uptime() * 1000)} ms`);
    this.announce.ready();
    for (const wake of this.readyWaiters.splice(0)) wake();
    this.reloads.startupDone();
    if (this.options.watchConfig) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      this.watcher = (require('../runtime/config-watch') as typeof ConfigWatch).watchConfig(this.options.watchConfig, () => void this.reloads.request('config change'), this.log);
    }
  }

  // `start` fails with the instance's own message; nothing is left behind.
  private async startFailed(message: string): Promise<void> {
    this.log.error('start-failed', message);
    this.announce.failed(message);
    this.phase = 'stopping';
    await this.stopAll('the start failed');
    this.phase = 'stopped';
    this.finish(1);
  }

  /** Resolves with the phase once start-up is over, or still 'starting' after timeoutMs. */
  awaitReady(timeoutMs: number): Promise<SupervisorPhase> {
    if (this.phase !== 'starting') return Promise.resolve(this.phase);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== wake);
        resolve(this.phase);
      }, timeoutMs);
      const wake = (): void => {
        clearTimeout(timer);
        resolve(this.phase);
      };
      this.readyWaiters.push(wake);
    });
  }

  // --- instances ---

  /** Starts an instance for `slot` (as its current one, unless `replacement`). Throws when fork or exec failed. */
  spawn(slot: Slot, replacement = false): Instance {
    const inst = new Instance({ slot: slot.index, options: this.instanceOptions, listen: this.input.listen, onRecord: (i, rec) => this.onRecord(i, rec) });
    this.live.add(inst);
    if (replacement) slot.next = inst;
    else slot.current = inst;
    this.log.info('instance-started', `instance ${slot.index} pid ${inst.pid}${replacement ? ' (replacement)' : slot.restarts ? ` (restart ${slot.restarts})` : ''}`);
    void inst.exited.then((end) => this.onEnded(inst, end));
    return inst;
  }

  private onRecord(inst: Instance, rec: Map<string, string>): void {
    if (rec.has('RELOADED')) {
      const err = rec.get('RELOAD_ERROR');
      this.log.debug('instance-reloaded', `instance ${inst.slot} pid ${inst.pid} generation ${rec.get('RELOADED')}: ${err === undefined ? 'applied' : `rejected: ${err}`}`);
    }
  }

  // SIGCHLD: signals coalesce, so every instance not reaped yet is asked (waitpid(pid, WNOHANG) each).
  private reap(): void {
    const n = native();
    for (const inst of this.live) {
      const r = n.waitChild(inst.pid);
      if (r === null) continue;
      this.live.delete(inst);
      // -ECHILD: someone else reaped it (never us); its status is lost.
      inst.ended(typeof r === 'number' ? { code: null, signal: null, at: Date.now() } : { code: r.code, signal: r.signal, at: Date.now() });
    }
  }

  private onEnded(inst: Instance, end: End): void {
    const slot = this.slots[inst.slot - 1]!;
    const how = `instance ${slot.index} (pid ${inst.pid}) ${describeEnd(end)} after ${formatDuration(inst.uptimeMs)}`;
    if (inst.stopRequested) this.log.info('instance-exited', how);
    else this.log.warn('instance-exited', how);
    if (slot.next === inst) return; // a replacement that failed: restart --graceful reports it
    if (slot.current !== inst) return; // an old one, retired by restart --graceful
    slot.current = null;
    slot.lastEnd = { ...end, pid: inst.pid };
    if (this.phase === 'starting' || this.phase === 'stopping' || this.phase === 'stopped' || this.phase === 'failed') return;
    if (inst.stopRequested || slot.next) return; // asked for, or its replacement is on the way
    this.afterUnexpectedEnd(slot, end, inst.uptimeMs);
  }

  /** An instance ended on its own: start it again (--restart), give up (--restart-limit), or let it be. */
  afterUnexpectedEnd(slot: Slot, end: End, uptimeMs: number): void {
    const policy = this.sup.restart;
    if (policy === 'no' || (policy === 'on-failure' && !failed(end))) {
      this.log.info('not-restarting', `instance ${slot.index}: --restart ${policy}`);
      if (this.slots.every((s) => !s.current && !s.next && !s.timer)) {
        const code = exitCodeOf(end);
        this.log.info('stopped', `no instance left; exit ${code}`);
        this.phase = 'stopped';
        this.finish(code);
      }
      return;
    }
    const d = slot.backoff.next(uptimeMs, Date.now());
    if (!d.restart) return this.giveUp(slot, end, d);
    slot.restartAt = Date.now() + d.delayMs;
    const limit = this.sup.restartLimit;
    this.log.info('restart-scheduled', `instance ${slot.index} in ${formatDuration(d.delayMs)}${limit ? ` (restart ${d.count} of at most ${limit.burst} within ${formatDuration(limit.intervalMs)})` : ''}`);
    slot.timer = setTimeout(() => {
      slot.timer = null;
      slot.restartAt = null;
      this.restartSlot(slot);
    }, d.delayMs);
  }

  private restartSlot(slot: Slot): void {
    if (this.phase !== 'ready' && this.phase !== 'reloading') return;
    slot.restarts++;
    let inst: Instance;
    try {
      inst = this.spawn(slot);
    } catch (e) {
      this.log.error('instance-failed', `instance ${slot.index} could not be started: ${(e as Error).message}`);
      return this.afterUnexpectedEnd(slot, { code: 127, signal: null, at: Date.now() }, 0);
    }
    // Not ready in time: its end counts as a failure like any other.
    const timer = setTimeout(() => {
      if (inst.state !== 'starting' || !inst.alive) return;
      this.log.error('instance-failed', `instance ${slot.index} (pid ${inst.pid}) was not ready within ${formatDuration(this.options.readyTimeoutMs)}; stopping it`);
      void inst.terminate(KILL_MARGIN_MS, false);
    }, this.options.readyTimeoutMs);
    void inst.ready.then((r) => {
      clearTimeout(timer);
      if (r.ok) this.log.info('instance-ready', `instance ${slot.index} pid ${inst.pid}`);
      else if (!inst.stopRequested) this.log.error('instance-failed', `instance ${slot.index} (pid ${inst.pid}): ${r.error}`);
    });
  }

  // Past --restart-limit: a program that cannot stay up is not served in part.
  private giveUp(slot: Slot, end: End, d: Extract<Decision, { restart: false }>): void {
    const limit = this.sup.restartLimit!;
    const pid = slot.lastEnd?.pid ?? 0;
    const reason = `instance ${slot.index} (pid ${pid}) ${describeEnd(end)}, after ${d.count} restarts within ${formatDuration(d.intervalMs)} (--restart-limit ${limit.burst}/${formatDuration(limit.intervalMs)})`;
    this.log.error('gave-up', `${reason}; stopping the other instances and closing the sockets; \`taskdaemon restart ${this.options.name}\` starts it again`);
    this.phase = 'failed';
    this.gaveUp = { reason, at: Date.now(), slot: slot.index, pid, end, restarts: slot.restarts };
    this.reloads.stop();
    this.watcher?.close();
    void this.stopAll('the supervisor gave up').then(() => {
      // Connections are refused from now on instead of waiting in a queue nobody reads.
      for (const { fd } of this.input.listen) {
        try {
          fs.closeSync(fd);
        } catch {
          /* closed already */
        }
      }
    });
  }

  // --- stop ---

  private onStopSignal(sig: 'SIGTERM' | 'SIGINT' | 'SIGQUIT'): void {
    if (this.phase === 'stopping' || this.phase === 'stopped') {
      // A second one: the operator does not want to wait.
      this.log.warn('forced-exit', `${sig} during shutdown: SIGKILL to every instance`);
      for (const inst of this.live) inst.signal('SIGKILL');
      this.finish(128 + os.constants.signals[sig]);
      return;
    }
    void this.shutdown(sig);
  }

  async shutdown(reason: string): Promise<void> {
    if (this.phase === 'stopping' || this.phase === 'stopped') return;
    const before = this.phase;
    this.phase = 'stopping';
    this.log.info('stopping', reason);
    if (before === 'starting') this.announce.failed(`stopped by ${reason} before it was ready`);
    this.reloads.stop();
    this.watcher?.close();
    const ok = await this.stopAll(reason);
    // A supervisor that had given up ends as a failure.
    const code = before === 'failed' || !ok ? 1 : 0;
    this.phase = 'stopped';
    this.log.info('stopped', `exit ${code}`);
    this.finish(code);
  }

  /** SIGTERM to every instance, SIGKILL to those still there after --grace and a margin; true when all ended well. */
  private async stopAll(reason: string): Promise<boolean> {
    for (const slot of this.slots) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      slot.restartAt = null;
    }
    const running = [...this.live];
    if (running.length) this.log.info('stopping-instances', `${reason}: SIGTERM to ${running.map((i) => `pid ${i.pid}`).join(', ')}`);
    const ends = await Promise.all(running.map((i) => i.terminate(this.options.graceMs + KILL_MARGIN_MS)));
    return ends.every((e) => !failed(e) || e.signal === os.constants.signals.SIGTERM);
  }

  // --- the rest of the signal table ---

  private reopenLogs(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('../runtime/log-reopen') as typeof import('../runtime/log-reopen')).reopenLogs(this.options.stdout, this.options.stderr, this.log);
    for (const inst of this.live) inst.signal('SIGUSR2');
  }

  private async dumpStatus(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const report = await (require('./report') as typeof import('./report')).supervisorReport(this);
    this.log.info('status', JSON.stringify(report.supervisor));
  }

  /** The result `taskdaemon reload` waits for. */
  awaitReload(after: number, timeoutMs: number): Promise<ReloadResult | null> {
    return this.reloads.awaitResult(after, timeoutMs);
  }
}

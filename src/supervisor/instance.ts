// One app instance of a supervisor (DESIGN.md §8): `node -- boot.js ENTRY`
// (or, for a program that is not Node, the program itself, DESIGN.md §9)
// started by the addon's fork->exec (native/child.cc) with exactly these fds:
// 0-2 the supervisor's own (/dev/null and the log), the --listen sockets from
// fd 3 (LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID: the same app runs under systemd
// socket activation), then its readiness pipe and its boot marker. It dies
// with the supervisor (PR_SET_PDEATHSIG: SIGTERM, so it still drains). The
// readiness pipe stays open after READY=1 and tells reloads and the stop
// (src/runtime/announce.ts). It is reaped by the supervisor (waitChild), so
// its pid cannot be reused while this object signals it.
import * as fs from 'node:fs';
import type * as Net from 'node:net';
import * as os from 'node:os';
import { check, isFailure, systemError } from '../errors';
import { native } from '../native';
import type { ResolvedOptions } from '../options';
import { RecordParser, type Record } from '../readiness';
import { BOOT_ENV, type BootMarker } from '../runtime/markers';
import { describeEnd, type End } from '../process-end';
import { execPlan } from '../program-kind';
import { awaitNotifyReady, describeNotify, openNotifySocket, type NotifySocket } from '../notify-socket';
import { waitForAddress } from '../ready-address';
import type { ReadySpec } from '../ready-spec';

export type InstanceState = 'starting' | 'ready' | 'reloading' | 'stopping' | 'exited';

/** Readiness, or why not. */
export type Readiness = { ok: true } | { ok: false; error: string };

export interface ReloadReport {
  ok: boolean;
  error: string | null;
}

export interface InstanceSpec {
  slot: number;
  /** The options the instance's runtime gets (the supervisor's own, minus what the supervisor does itself). */
  options: ResolvedOptions;
  listen: { fd: number; name: string }[];
  /** Told every record after readiness (reload results), for the log. */
  onRecord?: (inst: Instance, rec: Record) => void;
}

// The supervisor's environment (the daemon's, made by `start`), the sockets, and `extra`
// (the boot marker's fd for a Node entry, NOTIFY_SOCKET for a program).
function environment(listen: InstanceSpec['listen'], extra: { [k: string]: string }): string[] {
  const env: { [k: string]: string | undefined } = { ...process.env, ...extra };
  if (!(BOOT_ENV in extra)) delete env[BOOT_ENV];
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  delete env.LISTEN_PID;
  if (listen.length) {
    env.LISTEN_FDS = String(listen.length);
    env.LISTEN_FDNAMES = listen.map((l) => l.name).join(':');
    env.LISTEN_PID = ''; // native code writes the child's own pid here
  }
  return Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
}

export class Instance {
  readonly pid: number;
  readonly slot: number;
  readonly startedAt = Date.now();
  state: InstanceState = 'starting';
  readyAt: number | null = null;
  end: End | null = null;
  /** Its end was asked for (stop, retirement after a graceful replacement): never restarted. */
  stopRequested = false;
  /** The highest reload generation it announced (RELOADING=1 GENERATION=N). */
  generation = 0;
  lastReload: (ReloadReport & { generation: number }) | null = null;
  readonly ready: Promise<Readiness>;
  readonly exited: Promise<End>;
  private settleReady!: (r: Readiness) => void;
  private settleExit!: (e: End) => void;
  private readonly parser = new RecordParser();
  /** A readiness pipe from the runtime inside; null for a program that is not Node. */
  private readonly reader: Net.Socket | null;
  /** Not Node: no runtime inside, no records; a reload is a delivered SIGHUP. */
  private readonly program: boolean;
  private notify: NotifySocket | null = null;
  /** What a notify program said (STATUS=, ERRNO=), for the message when it ends before READY=1. */
  private notifyNote = '';
  private readonly reloadWaiters = new Set<() => void>();
  private readonly onRecord: InstanceSpec['onRecord'];

  constructor(spec: InstanceSpec) {
    this.slot = spec.slot;
    this.onRecord = spec.onRecord;
    this.ready = new Promise((resolve) => (this.settleReady = resolve));
    this.exited = new Promise((resolve) => (this.settleExit = resolve));
    this.program = spec.options.kind === 'program';
    if (this.program) {
      this.pid = this.spawnProgram(spec);
      this.reader = null;
      void this.awaitProgramReady(spec.options.ready);
      return;
    }
    const n = native();
    const [readFd, writeFd] = check<[number, number]>(n.pipe(), 'pipe');
    const readyFd = 3 + spec.listen.length;
    const marker: BootMarker = { v: 2, readyFd, lockFd: -1, controlFd: -1, options: spec.options, supervised: true };
    let markerFd = -1;
    try {
      markerFd = check<number>(n.pipeWith(JSON.stringify(marker)), 'pipe');
      const o = spec.options;
      const plan = execPlan(o);
      const r = n.spawnChild({
        file: plan.file,
        argv: plan.argv,
        envp: environment(spec.listen, { [BOOT_ENV]: String(readyFd + 1) }),
        cwd: o.cwd,
        fds: [0, 1, 2, ...spec.listen.map((l) => l.fd), writeFd, markerFd],
        listenPid: spec.listen.length > 0,
        deathSignal: os.constants.signals.SIGTERM,
      });
      if (isFailure(r)) throw systemError(r.errno, r.syscall, r.syscall === 'execve' ? process.execPath : r.syscall === 'chdir' ? o.cwd : undefined);
      this.pid = r.pid;
    } catch (e) {
      fs.closeSync(readFd);
      throw e;
    } finally {
      fs.closeSync(writeFd);
      if (markerFd >= 0) fs.closeSync(markerFd);
    }
    // A pipe, read through libuv like a socket: no thread-pool read, no poll loop.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const net = require('node:net') as typeof Net;
    const reader = new net.Socket({ fd: readFd, readable: true, writable: false });
    this.reader = reader;
    reader.setEncoding('utf8');
    reader.on('data', (chunk: string) => {
      for (const rec of this.parser.feed(chunk)) this.take(rec);
    });
    reader.on('error', () => reader.destroy());
    reader.on('close', () => this.pipeClosed());
  }

  // A program that is not Node (DESIGN.md §9): exec'd itself with the same fds and
  // sockets, no runtime inside; with --ready notify, its own $NOTIFY_SOCKET.
  private spawnProgram(spec: InstanceSpec): number {
    const o = spec.options;
    const plan = execPlan(o);
    if (o.ready.kind === 'notify') this.notify = openNotifySocket(null);
    try {
      const r = native().spawnChild({
        file: plan.file,
        argv: plan.argv,
        envp: environment(spec.listen, this.notify ? { NOTIFY_SOCKET: this.notify.path } : {}),
        cwd: o.cwd,
        fds: [0, 1, 2, ...spec.listen.map((l) => l.fd)],
        listenPid: spec.listen.length > 0,
        deathSignal: os.constants.signals.SIGTERM,
      });
      if (isFailure(r)) throw systemError(r.errno, r.syscall, r.syscall === 'execve' ? plan.file : r.syscall === 'chdir' ? o.cwd : undefined);
      return r.pid;
    } catch (e) {
      this.notify?.close();
      this.notify = null;
      throw e;
    }
  }

  // exec: spawnChild returned, so execve succeeded; notify: READY=1 arrived; tcp/unix: the address accepts.
  // The supervisor's --ready-timeout stops an instance that never gets there.
  private async awaitProgramReady(ready: ReadySpec): Promise<void> {
    const ended = (ms: number): Promise<boolean> =>
      new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), ms);
        void this.exited.then(() => {
          clearTimeout(t);
          resolve(true);
        });
      });
    try {
      if (ready.kind === 'tcp' || ready.kind === 'unix') {
        const r = await waitForAddress(ready, { deadline: Infinity, pause: ended });
        if (r !== 'ready') return; // ended: ended() settled readiness with how
      } else if (ready.kind === 'notify') {
        const said = await awaitNotifyReady(this.notify!.fd, () => this.alive, (now) => (this.notifyNote = describeNotify(now)));
        if (!said.ready) return;
      }
      if (this.alive && this.state === 'starting') {
        this.state = 'ready';
        this.readyAt = Date.now();
        this.settleReady({ ok: true });
      }
    } finally {
      this.notify?.close();
      this.notify = null;
    }
  }

  get alive(): boolean {
    return this.end === null;
  }

  get uptimeMs(): number {
    return (this.end?.at ?? Date.now()) - this.startedAt;
  }

  private take(rec: Record): void {
    if (this.state === 'starting') {
      if (rec.get('READY') === '1') {
        this.state = 'ready';
        this.readyAt = Date.now();
        this.settleReady({ ok: true });
      } else if (rec.has('ERROR')) {
        this.settleReady({ ok: false, error: rec.get('ERROR')! });
      } else if (rec.has('EXIT')) {
        this.settleReady({ ok: false, error: `exited with code ${rec.get('EXIT')} before it was ready` });
      }
      return;
    }
    if (rec.has('RELOADING')) {
      this.generation = Math.max(this.generation, Number(rec.get('GENERATION')) || 0);
      if (this.state === 'ready') this.state = 'reloading';
    } else if (rec.has('RELOADED')) {
      const generation = Number(rec.get('RELOADED')) || 0;
      this.generation = Math.max(this.generation, generation);
      const error = rec.get('RELOAD_ERROR') ?? null;
      this.lastReload = { generation, ok: error === null, error };
      if (this.state === 'reloading') this.state = 'ready';
      for (const wake of [...this.reloadWaiters]) wake();
    } else if (rec.has('STOPPING')) {
      this.state = 'stopping';
    }
    this.onRecord?.(this, rec);
  }

  private pipeClosed(): void {
    if (this.state === 'starting') this.settleReady({ ok: false, error: 'closed its readiness pipe before it was ready' });
    for (const wake of [...this.reloadWaiters]) wake();
  }

  /** Reaped (waitChild): how it ended. */
  ended(e: End): void {
    if (this.end) return;
    this.end = e;
    this.state = 'exited';
    const said = this.notifyNote ? `; ${this.notifyNote}` : '';
    this.settleReady({ ok: false, error: `${describeEnd(e)} before it was ready${this.program && this.notify ? ` (it sent no READY=1 to $NOTIFY_SOCKET${said})` : ''}` });
    this.reader?.destroy();
    for (const wake of [...this.reloadWaiters]) wake();
    this.settleExit(e);
  }

  /** kill(2) of our own unreaped child: its pid cannot have been reused. */
  signal(sig: NodeJS.Signals): void {
    if (!this.alive) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      /* ended; the reaper will say how */
    }
  }

  /**
   * SIGTERM now (it drains within --grace), SIGKILL if it is still there after
   * `killAfterMs`. `expected: false` (it missed its ready timeout): its end is
   * a failure like any other, and restarted.
   */
  async terminate(killAfterMs: number, expected = true): Promise<End> {
    if (expected) this.stopRequested = true;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), killAfterMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGHUP, then the result of the reload it caused (or why there is none) within `timeoutMs`. */
  reload(timeoutMs: number): Promise<ReloadReport> {
    const before = this.generation;
    return new Promise((resolve) => {
      const done = (r: ReloadReport): void => {
        clearTimeout(timer);
        this.reloadWaiters.delete(wake);
        resolve(r);
      };
      const wake = (): void => {
        const last = this.lastReload;
        if (last && last.generation > before && this.state !== 'reloading') done({ ok: last.ok, error: last.error });
        else if (!this.alive) done({ ok: false, error: `${describeEnd(this.end!)} before it reported its reload` });
        else if (this.reader?.destroyed) done({ ok: false, error: 'closed its readiness pipe; its reload result is unknown' });
      };
      // A program reports nothing: the signal was delivered, which is all that can be known.
      if (this.program) {
        const delivered = this.alive;
        this.signal('SIGHUP');
        resolve(delivered ? { ok: true, error: null } : { ok: false, error: `${describeEnd(this.end!)} before its reload` });
        return;
      }
      const timer = setTimeout(() => done({ ok: false, error: `no reload result within ${timeoutMs} ms` }), timeoutMs);
      this.reloadWaiters.add(wake);
      this.signal('SIGHUP');
      wake();
    });
  }
}

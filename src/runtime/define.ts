// The public shape of a daemon (DESIGN.md §3): what a user's entry module
// exports, and the context every hook receives.
import type { ListenFd } from './listen-fds';
import type { Logger } from './logger';
import type { State } from './state-store';
import { methodNameProblem } from './builtin-methods';

export type DaemonState = 'starting' | 'ready' | 'reloading' | 'stopping' | 'stopped';

/** The recorded outcome of one reload (SIGHUP, config change, or the control plane). */
export interface ReloadResult {
  generation: number;
  ok: boolean;
  error: string | null;
  /** ISO time the reload finished. */
  at: string;
}

export interface HealthReport {
  ok: boolean;
  detail?: unknown;
}

export interface DaemonContext<Config = unknown> {
  /** The daemon's name (--name, or derived from the entry file). */
  readonly name: string;
  readonly pid: number;
  /** 'daemon' after `taskdaemon start`, 'foreground' under `taskdaemon run`. */
  readonly mode: 'daemon' | 'foreground';
  /** The arguments after the entry: process.argv.slice(2). */
  readonly args: readonly string[];
  /** The current config: what loadConfig() returned, replaced only by a successful reload. */
  readonly config: Config;
  /** Aborts when shutdown begins: pass it to servers, timers and fetches. */
  readonly signal: AbortSignal;
  /** Lifecycle-style log lines on the daemon's stderr (text or JSON, --log-format). */
  readonly log: Logger;
  /** Register in-flight work; shutdown waits for it until the deadline. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Epoch milliseconds by which shutdown must be done; null until shutdown begins. */
  readonly deadline: number | null;
  /** Where the lifecycle is: starting, ready, reloading, stopping, stopped. */
  readonly phase: DaemonState;
  /** JSON that survives restarts: restored before loadConfig/init, saved at shutdown and by saveState(). */
  state: State;
  /** Save ctx.state now (atomically). */
  saveState(): void;
  /** Sockets passed by systemd socket activation (`run`) or by a supervisor's --listen: fds from 3 on, with their names. */
  readonly listenFds: readonly ListenFd[];
  /** Reload generation: 0 until the first reload. */
  readonly generation: number;
  readonly lastReload: ReloadResult | null;
}

export interface DaemonDefinition<Config = unknown> {
  /** Read and validate the config; runs before init and on every reload. A throw rejects it. */
  loadConfig?(ctx: DaemonContext<Config>): Config | Promise<Config>;
  /** Validate and open resources. A throw fails `taskdaemon start` with its message. */
  init?(ctx: DaemonContext<Config>): void | Promise<void>;
  /** The work. Starts after readiness; ctx.signal aborts on shutdown. Resolving ends the daemon (exit 0). */
  run?(ctx: DaemonContext<Config>): void | Promise<void>;
  /** SIGHUP: apply `next` (already loaded and validated). A throw keeps the old config. */
  reload?(ctx: DaemonContext<Config>, next: Config): void | Promise<void>;
  /** Stop accepting, drain, flush, close. Runs after tracked work settled or the deadline passed. */
  shutdown?(ctx: DaemonContext<Config>): void | Promise<void>;
  /** Health for status, the control socket and /health. */
  health?(ctx: DaemonContext<Config>): HealthReport | Promise<HealthReport>;
  /**
   * Custom control methods: `taskdaemon call NAME METHOD [JSON]` and
   * DaemonManager.call(). The JSON result is the answer; a throw is the error.
   * Calls made during start-up wait for readiness. Built-in names are refused.
   */
  methods?: { [name: string]: ControlMethod<Config> };
}

/** One custom control method: `params` is the caller's JSON (an object or array, {} when none). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ControlMethod<Config = unknown> = (params: any, ctx: DaemonContext<Config>) => unknown;

const BRAND = Symbol.for('taskdaemon.daemon');
const RUNTIME = Symbol.for('taskdaemon.runtime');

// An interface, not a type alias: declaration files of user code that exports a
// defineDaemon() result then name it instead of spelling out the private symbol.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface BrandedDefinition extends DaemonDefinition<any> {
  readonly [BRAND]: true;
}

/** Declare a daemon: `export default defineDaemon({ init, run, shutdown })`. */
export function defineDaemon<Config = unknown, T extends DaemonDefinition<Config> = DaemonDefinition<Config>>(def: T & DaemonDefinition<Config>): T & BrandedDefinition {
  for (const key of ['loadConfig', 'init', 'run', 'reload', 'shutdown', 'health'] as const) {
    if (def[key] !== undefined && typeof def[key] !== 'function') {
      throw new TypeError(`defineDaemon: '${key}' must be a function`);
    }
  }
  if (def.methods !== undefined) checkMethods(def.methods);
  return Object.assign(def, { [BRAND]: true as const });
}

// A wrong method table fails where it is written, not on the first call.
function checkMethods(methods: unknown): void {
  if (typeof methods !== 'object' || methods === null || Array.isArray(methods)) throw new TypeError("defineDaemon: 'methods' must be an object of functions");
  for (const [name, fn] of Object.entries(methods)) {
    const problem = methodNameProblem(name);
    if (problem) throw new TypeError(`defineDaemon: methods: ${problem}`);
    if (typeof fn !== 'function') throw new TypeError(`defineDaemon: methods.${name} must be a function`);
  }
}

export function isDaemonDefinition(v: unknown): v is BrandedDefinition {
  return typeof v === 'object' && v !== null && (v as { [BRAND]?: unknown })[BRAND] === true;
}

// Found through a global symbol so that ready() works even when the user's
// program resolves its own copy of this package.
export interface RuntimeHooks {
  ready(): void;
  /** What the running daemon was resolved with (for daemonize()'s handle). */
  options: import('../options').ResolvedOptions;
  mode: 'daemon' | 'foreground';
}

/** The runtime of this process, when taskdaemon runs it (start, run, or daemonize()). */
export function runtimeHooks(): RuntimeHooks | undefined {
  return (globalThis as { [RUNTIME]?: RuntimeHooks })[RUNTIME];
}

export function installRuntimeHooks(hooks: RuntimeHooks): void {
  (globalThis as { [RUNTIME]?: RuntimeHooks })[RUNTIME] = hooks;
}

/**
 * For a plain script (no defineDaemon export): declare readiness now instead of
 * when its top-level code finishes. Does nothing outside taskdaemon.
 */
export function ready(): void {
  (globalThis as { [RUNTIME]?: RuntimeHooks })[RUNTIME]?.ready();
}

// The public shape of a daemon (DESIGN.md §3): what a user's entry module
// exports, and the context every hook receives.
import type { Logger } from './logger';

export type DaemonState = 'starting' | 'ready' | 'stopping' | 'stopped';

export interface DaemonContext {
  /** The daemon's name (--name, or derived from the entry file). */
  readonly name: string;
  readonly pid: number;
  /** 'daemon' after `taskdaemon start`, 'foreground' under `taskdaemon run`. */
  readonly mode: 'daemon' | 'foreground';
  /** The arguments after the entry: process.argv.slice(2). */
  readonly args: readonly string[];
  /** Aborts when shutdown begins: pass it to servers, timers and fetches. */
  readonly signal: AbortSignal;
  /** Lifecycle-style log lines (time level pid event detail) on the daemon's stderr. */
  readonly log: Logger;
  /** Register in-flight work; shutdown waits for it until the deadline. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Epoch milliseconds by which shutdown must be done; null until shutdown begins. */
  readonly deadline: number | null;
  readonly state: DaemonState;
}

export interface DaemonDefinition {
  /** Validate and open resources. A throw fails `taskdaemon start` with its message. */
  init?(ctx: DaemonContext): void | Promise<void>;
  /** The work. Starts after readiness; ctx.signal aborts on shutdown. Resolving ends the daemon (exit 0). */
  run?(ctx: DaemonContext): void | Promise<void>;
  /** SIGHUP. */
  reload?(ctx: DaemonContext): void | Promise<void>;
  /** Stop accepting, drain, flush, close. Runs after tracked work settled or the deadline passed. */
  shutdown?(ctx: DaemonContext): void | Promise<void>;
  /** Health for status and health checks. */
  health?(): { ok: boolean; detail?: unknown } | Promise<{ ok: boolean; detail?: unknown }>;
}

const BRAND = Symbol.for('taskdaemon.daemon');
const RUNTIME = Symbol.for('taskdaemon.runtime');

export type BrandedDefinition = DaemonDefinition & { readonly [BRAND]: true };

/** Declare a daemon: `export default defineDaemon({ init, run, shutdown })`. */
export function defineDaemon<T extends DaemonDefinition>(def: T): T & BrandedDefinition {
  for (const key of ['init', 'run', 'reload', 'shutdown', 'health'] as const) {
    if (def[key] !== undefined && typeof def[key] !== 'function') {
      throw new TypeError(`defineDaemon: '${key}' must be a function`);
    }
  }
  return Object.assign(def, { [BRAND]: true as const });
}

export function isDaemonDefinition(v: unknown): v is BrandedDefinition {
  return typeof v === 'object' && v !== null && (v as { [BRAND]?: unknown })[BRAND] === true;
}

// Found through a global symbol so that ready() works even when the user's
// program resolves its own copy of this package.
interface RuntimeHooks {
  ready(): void;
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

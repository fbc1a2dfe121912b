// daemonize(): a program puts itself in the background, as C daemons and Go's
// go-daemon do, with the same hardened start as `taskdaemon start`. Node
// cannot fork and keep running JavaScript, so the program is started again,
// fresh, by the same native sequence (fork, setsid, fork, drop, exec of this
// node with its node options and the program's own argv); the marker the
// starter leaves tells the new process that it is the daemon.
//
//   in the process the user started: resolve the options, start, wait for the
//     daemon's readiness, print like `taskdaemon start` and exit with its code;
//     it never returns there.
//   in the daemon: take over what the starter handed down and return a handle.
//   already run by taskdaemon (start, run, or a second call): the handle at once.
//   foreground on purpose (foreground: true, TASKDAEMON_FOREGROUND=1): the
//     foreground set-up of `run` (systemd Type=notify, containers), no fork.
import { EXIT } from './exit-codes';
import { exitCodeFor, TaskdaemonError } from './errors';
import type { DaemonOptions, ResolvedOptions } from './options';
import { runtimeHooks } from './runtime/define';

export interface DaemonizeOptions extends Omit<DaemonOptions, 'entry' | 'args'> {
  /** A taskdaemon.toml to read too: these options beat TASKDAEMON_* variables, which beat the file. */
  config?: string;
  /** Stay in the foreground (systemd Type=notify, containers); TASKDAEMON_FOREGROUND=1 does the same. */
  foreground?: boolean;
  /**
   * Declare readiness yourself with handle.ready(). Otherwise it is automatic
   * once the program's top level has run (the first turn of the event loop
   * after it), as for plain scripts; an ES module whose top level awaits more
   * after daemonize() should say false here and call ready().
   */
  autoReady?: boolean;
}

export interface DaemonHandle {
  /** This process: the daemon. */
  readonly pid: number;
  /** 'daemon' once daemonized; 'foreground' when it stayed (foreground: true). */
  readonly mode: 'daemon' | 'foreground';
  /** The resolved options it runs with. */
  readonly options: ResolvedOptions;
  /** Tell the starter (or systemd) that the daemon is ready. Later calls do nothing. */
  ready(): void;
}

/* eslint-disable @typescript-eslint/no-require-imports */
type Shared = typeof import('./cli/shared');
type Output = typeof import('./cli/output');
type TakeOver = typeof import('./runtime/take-over');

function handle(): DaemonHandle {
  const hooks = runtimeHooks()!;
  return { pid: process.pid, mode: hooks.mode, options: hooks.options, ready: () => hooks.ready() };
}

// Readiness when the program does not declare it: after its top level has run.
function autoReady(h: DaemonHandle): void {
  const main = require.main;
  const check = (): void => {
    // A CommonJS program's top level is done once its module is loaded; an ES module's, at this turn.
    if (main && !main.loaded) return void setImmediate(check);
    h.ready();
  };
  setImmediate(check);
}

// In the process the user started: like the CLI, one line and the LSB code.
function exitWith(e: unknown, out: Output): never {
  out.err(`taskdaemon: ${e instanceof Error ? e.message : String(e)}`);
  if (e instanceof TaskdaemonError && e.hint) out.err(e.hint);
  process.exit(exitCodeFor(e));
}

export async function daemonize(opts: DaemonizeOptions = {}): Promise<DaemonHandle> {
  const { config, foreground, autoReady: auto = true, ...options } = opts;
  // Already the daemon (or run by `taskdaemon start`/`run`): nothing to do.
  if (runtimeHooks()) return handle();
  const takeOver = require('./runtime/take-over') as TakeOver;
  const marker = takeOver.readMarker();
  if (marker) {
    const life = takeOver.daemonLifecycle(marker, 'self');
    void life.finished.then((code) => process.exit(code));
    await life.start();
    const h = handle();
    if (auto) autoReady(h);
    return h;
  }
  const out = require('./cli/output') as Output;
  const entry = process.argv[1];
  if (!entry) exitWith(new TaskdaemonError('daemonize() needs a program file: run it as `node app.js`', { exitCode: EXIT.INVALID_ARGS }), out);
  let o: ResolvedOptions;
  try {
    // The CLI's resolution: the config file, TASKDAEMON_* variables, then these options; errors name their source.
    o = (require('./cli/shared') as Shared).resolveDaemon(entry, process.argv.slice(2), { ...options, ...(config && { config }) }).options;
  } catch (e) {
    exitWith(e, out);
  }
  if (foreground || process.env.TASKDAEMON_FOREGROUND === '1') {
    try {
      const life = await (require('./foreground') as typeof import('./foreground')).startForeground(o, { ...(options.stdout && { stdout: o.stdout }), ...(options.stderr && { stderr: o.stderr }) }, 'self');
      void life.finished.then((code) => process.exit(code));
    } catch (e) {
      exitWith(e, out);
    }
    const h = handle();
    if (auto) autoReady(h);
    return h;
  }
  // The caller's side: the whole start sequence with this program as the entry, then exit.
  const interrupt = new AbortController();
  const onSignal = (): void => interrupt.abort();
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  try {
    const r = await (require('./daemonize') as typeof import('./daemonize')).startDaemon(o, { signal: interrupt.signal, self: { execArgv: process.execArgv } });
    out.out(`started ${r.name} (pid ${r.pid})`);
    process.exit(EXIT.OK);
  } catch (e) {
    exitWith(e, out);
  }
}
/* eslint-enable @typescript-eslint/no-require-imports */

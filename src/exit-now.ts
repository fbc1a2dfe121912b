// process.exit(code), without node's teardown after the 'exit' listeners.
// Once every listener has run (the daemon's pidfile cleanup, the program's own)
// and the output is written (synchronously: cli/output.ts, the runtime's
// logger, node's stdio on files, pipes and terminals), what node still does
// (stopping its threads, freeing the heap) only delays the end: about 3 ms of
// every command and of every stop (bench/RESULTS.md). See: man 2 _exit
import { native } from './native';
import { nodeFlags } from './node-flags';

// Profiles, coverage and reports are written in node's teardown: with them, node's own exit.
const WRITES_AT_EXIT = /--(cpu-prof|heap-prof|prof\b|report-on-|trace-exit)/;

export function exitAfterListeners(code: number): never {
  const exitNow = WRITES_AT_EXIT.test(nodeFlags()) || process.env.NODE_V8_COVERAGE ? null : addonExit();
  // Added last, so it runs last; a listener before it may still change process.exitCode.
  if (exitNow) process.on('exit', (c) => compileCacheWritten() && exitNow(Number(process.exitCode ?? c) || 0));
  return process.exit(code);
}

// Node >= 22.1 writes its compile cache (bin/taskdaemon.js enables it) in its
// teardown, which _exit skips: written here instead, or, by a node that cannot
// (22.1-22.9 has no flushCompileCache), left to node's own exit. Only entries
// compiled in this run are written: a warm run writes nothing.
// See: https://nodejs.org/api/module.html#moduleflushcompilecache
function compileCacheWritten(): boolean {
  // Only NODE_COMPILE_CACHE turns it on without node:module loaded; loading that
  // module here to ask (it loads node's ES module loader) took 0.5 ms of every exit.
  const loaded = (process as { moduleLoadList?: string[] }).moduleLoadList;
  if (!process.env.NODE_COMPILE_CACHE && loaded && !loaded.includes('NativeModule module')) return true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const m = require('node:module') as { getCompileCacheDir?: () => string | undefined; flushCompileCache?: () => void };
  if (!m.getCompileCacheDir?.()) return true;
  if (!m.flushCompileCache) return false;
  m.flushCompileCache();
  return true;
}

// Loaded now, not inside the listener; no addon (an unsupported machine): node's own exit.
function addonExit(): ((code: number) => never) | null {
  try {
    const n = native();
    return (code) => n.exitNow(code);
  } catch {
    return null;
  }
}

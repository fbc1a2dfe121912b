// What the control socket answers (DESIGN.md §4): ping, status, health,
// reload, shutdown, version. `state` is the cheap one (no health hook, no
// measurement): `taskdaemon reload` reads the generation with it, sends
// SIGHUP, then waits with awaitReload; `start --oknodo` waits with awaitReady.
import type { Method } from '../control/server/rpc-server';
import { awaitReloadResult as awaitResult, numberParam } from '../control/server/params';
import { packageVersion } from '../version';
import type { ControlSurface } from './control-surface';
import type { BuiltinMethod } from './builtin-methods';



// Keyed by builtin-methods.ts's list, so the names custom methods may not take are exactly these.
export function controlMethods(life: ControlSurface): { [name in BuiltinMethod]: Method } {
  return {
    ping: () => 'pong',
    version: () => ({ version: packageVersion(), node: process.version, pid: process.pid }),
    status: async () => ({ ...(await life.status()), health: await life.health() }),
    health: async () => ({ ...(await life.health()), phase: life.phase }),
    // `restart NAME` starts the new daemon exactly as this one was started (0600 socket: the starter's eyes only).
    startOptions: () => life.startOptions,
    state: () => ({ phase: life.phase, generation: life.generation, reloading: life.reloadInProgress, pid: process.pid }),
    awaitReady: async (params) => ({ phase: await life.awaitReady(numberParam(params, 'timeoutMs', 60_000)), pid: process.pid }),
    // The same result `taskdaemon reload` waits for; one requested during start-up runs right after readiness.
    reload: async (params) => {
      const before = life.generation;
      void life.requestReload('control socket');
      return awaitResult(life, before, numberParam(params, 'timeoutMs', 60_000));
    },
    awaitReload: (params) => awaitResult(life, numberParam(params, 'after'), numberParam(params, 'timeoutMs', 60_000)),
    shutdown: () => {
      // Answer first: the caller learns the request was taken before we go.
      setImmediate(() => void life.shutdown('control socket'));
      return { stopping: true, pid: process.pid };
    },
  };
}

// What the control socket answers (DESIGN.md §4): ping, status, health,
// reload, shutdown, version; awaitReload serves `taskdaemon reload`, which
// sends SIGHUP and then waits for that reload's result.
import { RPC, RpcError, type Method } from '../control/rpc-server';
import { packageVersion } from '../version';
import type { Lifecycle } from './lifecycle';

function numberParam(params: unknown, key: string, dflt?: number): number {
  const v = (params as { [k: string]: unknown })[key];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RpcError(RPC.INVALID_PARAMS, `'${key}' must be a non-negative number`);
  return v;
}

export function controlMethods(life: Lifecycle): { [name: string]: Method } {
  return {
    ping: () => 'pong',
    version: () => ({ version: packageVersion(), node: process.version, pid: process.pid }),
    status: async () => ({ ...(await life.status()), health: await life.health() }),
    health: async () => ({ ...(await life.health()), phase: life.phase }),
    reload: async () => {
      const before = life.ctx.generation;
      await life.requestReload('control socket');
      return life.ctx.generation > before ? life.ctx.lastReload : { deferred: true, phase: life.phase };
    },
    awaitReload: async (params) => {
      const result = await life.awaitReload(numberParam(params, 'after'), numberParam(params, 'timeoutMs', 60_000));
      if (!result) throw new RpcError(RPC.INTERNAL_ERROR, 'no reload finished in time');
      return result;
    },
    shutdown: () => {
      // Answer first: the caller learns the request was taken before we go.
      setImmediate(() => void life.shutdown('control socket'));
      return { stopping: true, pid: process.pid };
    },
  };
}

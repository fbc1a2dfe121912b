// What a supervisor's control socket answers: the methods the CLI's client
// side calls on every daemon (src/control/client/*: state, awaitReady,
// awaitReload, status, health, startOptions, reload, shutdown), with the
// supervisor's answers, and gracefulRestart for `restart NAME --graceful`.
import { RPC, RpcError, type Method } from '../control/server/rpc-server';
import { awaitReloadResult as awaitResult, numberParam } from '../control/server/params';
import { packageVersion } from '../version';
import { replaceInstances } from './graceful';
import { supervisorHealth, supervisorReport } from './report';
import type { Supervisor } from './supervisor';



export function supervisorMethods(sup: Supervisor): { [name: string]: Method } {
  return {
    ping: () => 'pong',
    version: () => ({ version: packageVersion(), node: process.version, pid: process.pid }),
    status: () => supervisorReport(sup),
    health: () => ({ ...supervisorHealth(sup), phase: sup.phase }),
    startOptions: () => sup.options,
    state: () => ({ phase: sup.phase, generation: sup.generation, reloading: sup.reloads.inProgress, pid: process.pid, supervisor: true }),
    awaitReady: async (params) => ({ phase: await sup.awaitReady(numberParam(params, 'timeoutMs', 60_000)), pid: process.pid }),
    reload: async (params) => {
      const before = sup.generation;
      void sup.reloads.request('control socket');
      return awaitResult(sup, before, numberParam(params, 'timeoutMs', 60_000));
    },
    awaitReload: (params) => awaitResult(sup, numberParam(params, 'after'), numberParam(params, 'timeoutMs', 60_000)),
    shutdown: () => {
      setImmediate(() => void sup.shutdown('control socket'));
      return { stopping: true, pid: process.pid };
    },
    gracefulRestart: async () => {
      try {
        return await replaceInstances(sup);
      } catch (e) {
        throw new RpcError(RPC.INTERNAL_ERROR, (e as Error).message);
      }
    },
  };
}

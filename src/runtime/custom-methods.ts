// A daemon's own control methods (defineDaemon({ methods })), as the control
// socket serves them: a call made during start-up waits for readiness, each
// call is tracked work (shutdown drains it), and whatever the method throws
// comes back as its message with METHOD_FAILED, so `taskdaemon call` can tell
// the method's own failure from the control plane's.
import { RpcError, type Method } from '../control/server/rpc-server';
import { METHOD_FAILED, methodNameProblem } from './builtin-methods';
import type { DaemonContext, DaemonState, ControlMethod } from './define';

export interface MethodHost {
  /** Resolves with the phase once start-up is over, or after `timeoutMs`. */
  awaitReady(timeoutMs: number): Promise<DaemonState>;
  /** How long a call made during start-up may wait for readiness. */
  readyTimeoutMs: number;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message || err.name : String(err);
}

export function customMethods(methods: { [name: string]: ControlMethod }, ctx: DaemonContext, host: MethodHost): { [name: string]: Method } {
  const out: { [name: string]: Method } = {};
  for (const [name, fn] of Object.entries(methods)) {
    // defineDaemon() refused these already; a table changed since must still not shadow a built-in.
    if (methodNameProblem(name) || typeof fn !== 'function') continue;
    out[name] = async (params) => {
      if (ctx.phase === 'starting' && (await host.awaitReady(host.readyTimeoutMs)) === 'starting') {
        throw new RpcError(METHOD_FAILED, `${name}: the daemon is still starting`);
      }
      if (ctx.phase === 'stopped') throw new RpcError(METHOD_FAILED, `${name}: the daemon has stopped`);
      let result: unknown;
      try {
        result = await ctx.track(Promise.resolve().then(() => fn.call(methods, params, ctx)));
      } catch (err) {
        throw new RpcError(METHOD_FAILED, message(err));
      }
      // An answer that cannot be sent must still be an answer, not a silent hang.
      try {
        JSON.stringify(result);
      } catch (err) {
        throw new RpcError(METHOD_FAILED, `${name} returned a value that is not JSON: ${message(err)}`);
      }
      return result;
    };
  }
  return out;
}

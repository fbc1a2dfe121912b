// A daemon's custom control method (defineDaemon({ methods })), for
// `taskdaemon call` and DaemonManager.call(): find the lock holder, refuse
// what cannot answer (not running, stopped by SIGSTOP, a program without the
// runtime) at once, then one JSON-RPC call with the caller's timeout.
import * as fs from 'node:fs';
import { EXIT } from '../../exit-codes';
import { TaskdaemonError } from '../../errors';
import { probePidfile } from '../../pidfile';
import { isStopped } from '../../proc-state';
import { METHOD_FAILED } from '../../runtime/builtin-methods';
import { controlSocketPath, rpcCall, RpcCallError } from './rpc-client';
import { RPC } from '../rpc-codes';

// JSON-RPC 2.0's "method not found" (the server's RPC table; not imported: it loads node:net).

export async function callMethod(pidfile: string, name: string, method: string, params: object, timeoutMs: number): Promise<unknown> {
  const p = probePidfile(pidfile);
  if (p.state !== 'locked' || p.pid === null) throw new TaskdaemonError(`${name} is not running`, { exitCode: EXIT.NOT_RUNNING, code: 'ERR_NOT_RUNNING' });
  if (isStopped(p.pid)) {
    throw new TaskdaemonError(`${name} (pid ${p.pid}) is stopped by a signal (SIGSTOP); it cannot answer until it gets SIGCONT`, { code: 'ERR_DAEMON_STOPPED' });
  }
  const sock = controlSocketPath(pidfile);
  if (!fs.existsSync(sock)) {
    throw new TaskdaemonError(`${name} (pid ${p.pid}) has no control socket (${sock}): it is a program without the taskdaemon runtime`, { code: 'ERR_NO_CONTROL_SOCKET' });
  }
  try {
    return await rpcCall(sock, method, params, timeoutMs);
  } catch (e) {
    if (!(e instanceof RpcCallError)) throw e;
    if (e.rpcCode === RPC.METHOD_NOT_FOUND) throw new TaskdaemonError(`${name} has no method '${method}'`, { code: 'ERR_UNKNOWN_METHOD', cause: e });
    const code = e.rpcCode === METHOD_FAILED ? 'ERR_METHOD_FAILED' : 'ERR_CONTROL_ERROR';
    throw new TaskdaemonError(e.message, { code, cause: e });
  }
}

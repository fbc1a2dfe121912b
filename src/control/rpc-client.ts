// A one-shot JSON-RPC 2.0 call over a daemon's control socket. node:net is
// loaded on the first call: `status` of a daemon that is not running never needs it.
import type * as Net from 'node:net';
import { TaskdaemonError } from '../errors';

export { controlSocketPath } from '../paths';

export class RpcCallError extends Error {
  constructor(
    readonly rpcCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function rpcCall<T = unknown>(socketPath: string, method: string, params: object = {}, timeoutMs = 10_000): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const net = require('node:net') as typeof Net;
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(socketPath);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new TaskdaemonError(`no answer to '${method}' from ${socketPath} within ${timeoutMs} ms`, { code: 'ERR_CONTROL_TIMEOUT' }));
    }, timeoutMs);
    const done = (fn: () => void): void => {
      clearTimeout(timer);
      sock.destroy();
      fn();
    };
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) + '\n'));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      const msg = JSON.parse(buf.slice(0, nl)) as { result?: T; error?: { code: number; message: string } };
      if (msg.error) done(() => reject(new RpcCallError(msg.error!.code, msg.error!.message)));
      else done(() => resolve(msg.result as T));
    });
    sock.on('error', (err) => done(() => reject(err)));
    sock.on('end', () => done(() => reject(new TaskdaemonError(`${socketPath} closed before answering '${method}'`, { code: 'ERR_CONTROL_CLOSED' }))));
  });
}

// A one-shot JSON-RPC 2.0 call over a daemon's control socket. Whatever comes
// back (garbage, a truncated line, a flood) ends in a clear TaskdaemonError,
// never an exception from a data handler. node:net is loaded on the first
// call: `status` of a daemon that is not running never needs it.
import * as fs from 'node:fs';
import type * as Net from 'node:net';
import * as path from 'node:path';
import { TaskdaemonError } from '../../errors';

export { controlSocketPath } from '../../paths';

/** Replies longer than this are refused (a status report is a few KiB). */
export const MAX_REPLY = 1024 * 1024;

export class RpcCallError extends Error {
  constructor(
    readonly rpcCode: number,
    message: string,
  ) {
    super(message);
  }
}

function badReply(socketPath: string, method: string, why: string): TaskdaemonError {
  return new TaskdaemonError(`the control socket ${socketPath} answered '${method}' with ${why}`, { code: 'ERR_CONTROL_REPLY' });
}

// The first line of the reply as a JSON-RPC response, or a reason it is not one.
function parseReply<T>(line: string): { result: T } | { error: { code: number; message: string } } | { bad: string } {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return { bad: 'something that is not JSON' };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return { bad: 'JSON that is not a JSON-RPC response' };
  const m = msg as { result?: unknown; error?: unknown };
  if (m.error !== undefined) {
    const e = m.error as { code?: unknown; message?: unknown } | null;
    if (typeof e !== 'object' || e === null || typeof e.message !== 'string') return { bad: 'a malformed error' };
    return { error: { code: typeof e.code === 'number' ? e.code : 0, message: e.message } };
  }
  if (!('result' in m)) return { bad: 'a response without a result' };
  return { result: m.result as T };
}

// sun_path holds 107 bytes; a longer path is reached through an fd on its
// directory, as the daemon's side binds it (native/control.cc).
function connect(socketPath: string): Net.Socket {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const net = require('node:net') as typeof Net;
  if (Buffer.byteLength(socketPath) < 108) return net.createConnection(socketPath);
  const dirFd = fs.openSync(path.dirname(socketPath), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  const sock = net.createConnection(`/proc/self/fd/${dirFd}/${path.basename(socketPath)}`);
  let dirOpen = true;
  const closeDir = (): void => {
    if (dirOpen) fs.closeSync(dirFd);
    dirOpen = false;
  };
  sock.once('connect', closeDir).once('close', closeDir);
  return sock;
}

export function rpcCall<T = unknown>(socketPath: string, method: string, params: object = {}, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let sock: Net.Socket;
    try {
      sock = connect(socketPath);
    } catch (err) {
      return reject(err);
    }
    let buf = '';
    let settled = false;
    const done = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      fn();
    };
    const timer = setTimeout(
      () => done(() => reject(new TaskdaemonError(`no answer to '${method}' from ${socketPath} within ${timeoutMs} ms`, { code: 'ERR_CONTROL_TIMEOUT' }))),
      timeoutMs,
    );
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) + '\n'));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl === -1) {
        if (buf.length > MAX_REPLY) done(() => reject(badReply(socketPath, method, `more than ${MAX_REPLY} bytes without a line end`)));
        return;
      }
      const r = parseReply<T>(buf.slice(0, nl));
      if ('bad' in r) done(() => reject(badReply(socketPath, method, r.bad)));
      else if ('error' in r) done(() => reject(new RpcCallError(r.error.code, r.error.message)));
      else done(() => resolve(r.result));
    });
    sock.on('error', (err) => done(() => reject(err)));
    sock.on('end', () =>
      done(() => reject(new TaskdaemonError(`${socketPath} closed ${buf ? 'in the middle of its answer to' : 'before answering'} '${method}'`, { code: 'ERR_CONTROL_CLOSED' }))),
    );
  });
}

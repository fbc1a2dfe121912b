// The daemon's control socket: newline-delimited JSON-RPC 2.0 (DESIGN.md §4).
// Bounded in every direction: a line may be 64 KiB, a client may idle 30 s
// (waiting for an answer is not idling),
// at most 256 clients at once; malformed input gets a JSON-RPC error, and
// nothing a client does can crash the daemon or leave state behind.
// See: https://www.jsonrpc.org/specification
import * as net from 'node:net';
import type { Logger } from '../../runtime/logger';
import { RPC } from '../rpc-codes';

export type Method = (params: unknown) => unknown;

export const MAX_LINE = 64 * 1024;
const IDLE_MS = 30_000;
const MAX_CLIENTS = 256;

export { RPC };

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

type Id = string | number | null;
interface Response {
  jsonrpc: '2.0';
  id: Id;
  result?: unknown;
  error?: { code: number; message: string };
}

const fail = (id: Id, code: number, message: string): Response => ({ jsonrpc: '2.0', id, error: { code, message } });

async function handleOne(req: unknown, methods: { [name: string]: Method }): Promise<Response | null> {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) return fail(null, RPC.INVALID_REQUEST, 'a request is a JSON object');
  const r = req as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
  const id: Id = typeof r.id === 'string' || typeof r.id === 'number' ? r.id : null;
  const isNotification = !('id' in r);
  if (r.jsonrpc !== '2.0' || typeof r.method !== 'string' || ('id' in r && id === null && r.id !== null)) {
    return fail(id, RPC.INVALID_REQUEST, 'expected {"jsonrpc":"2.0","method":string,"id":string|number}');
  }
  if (r.params !== undefined && (typeof r.params !== 'object' || r.params === null)) return fail(id, RPC.INVALID_PARAMS, 'params must be an object or array');
  const method = Object.hasOwn(methods, r.method) ? methods[r.method] : undefined;
  let res: Response;
  if (!method) res = fail(id, RPC.METHOD_NOT_FOUND, `unknown method '${r.method}'`);
  else {
    try {
      res = { jsonrpc: '2.0', id, result: (await method(r.params ?? {})) ?? null };
    } catch (err) {
      res = err instanceof RpcError ? fail(id, err.code, err.message) : fail(id, RPC.INTERNAL_ERROR, err instanceof Error ? err.message : String(err));
    }
  }
  return isNotification ? null : res;
}

async function handleLine(line: string, methods: { [name: string]: Method }): Promise<string | null> {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return JSON.stringify(fail(null, RPC.PARSE_ERROR, 'not valid JSON'));
  }
  if (Array.isArray(msg)) {
    if (msg.length === 0) return JSON.stringify(fail(null, RPC.INVALID_REQUEST, 'empty batch'));
    const out = (await Promise.all(msg.map((m) => handleOne(m, methods)))).filter((r): r is Response => r !== null);
    return out.length ? JSON.stringify(out) : null;
  }
  const r = await handleOne(msg, methods);
  return r ? JSON.stringify(r) : null;
}

function serve(sock: net.Socket, methods: { [name: string]: Method }): void {
  sock.setEncoding('utf8');
  sock.setTimeout(IDLE_MS, () => sock.destroy());
  sock.on('error', () => sock.destroy()); // a vanished client is not our problem
  let buf = '';
  let queue = Promise.resolve();
  // A client waiting for a long answer (awaitReload, a supervisor's gracefulRestart) is not idle.
  let pending = 0;
  const send = (text: string | null): void => {
    if (text !== null && sock.writable) sock.write(text + '\n');
    if (--pending === 0) sock.setTimeout(IDLE_MS);
  };
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      // Answers go out in request order, one request at a time per client.
      if (!line) continue;
      if (pending++ === 0) sock.setTimeout(0);
      queue = queue.then(() => handleLine(line, methods)).then(send, () => send(null));
    }
    if (buf.length > MAX_LINE) {
      buf = '';
      sock.end(JSON.stringify(fail(null, RPC.INVALID_REQUEST, `request longer than ${MAX_LINE} bytes`)) + '\n');
      // Discard the rest instead of resetting the connection under a client still
      // writing (it would get EPIPE before it could read why); it has a second to go.
      sock.removeAllListeners('data');
      sock.on('data', () => {});
      sock.setTimeout(1_000, () => sock.destroy());
    }
  });
}

export function startRpcServer(fd: number, methods: { [name: string]: Method }, log: Logger): net.Server {
  const server = net.createServer((sock) => serve(sock, methods));
  server.maxConnections = MAX_CLIENTS;
  server.on('error', (err) => log.warn('control-error', err.message));
  server.listen({ fd });
  // The control socket alone must not keep a finished daemon alive.
  server.unref();
  return server;
}

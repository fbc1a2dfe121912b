// A one-shot JSON-RPC 2.0 call over a daemon's control socket. Whatever comes
// back (garbage, a truncated line, a flood) ends in a clear TaskdaemonError,
// never an exception from a data handler. The socket work is native
// (native/control-call.cc): no node:net for a command to load.
import { waitsOnMainThread } from '../../blocking-waits';
import { isFailure, systemError, TaskdaemonError } from '../../errors';
import { native, type ControlCallResult } from '../../native';

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

// The result of one exchange, or the error that says why there is none.
function settle<T>(got: ControlCallResult, socketPath: string, method: string, timeoutMs: number): T {
  if (isFailure(got)) throw systemError(got.errno, got.syscall, socketPath);
  if ('end' in got) {
    if (got.end === 'timeout') throw new TaskdaemonError(`no answer to '${method}' from ${socketPath} within ${timeoutMs} ms`, { code: 'ERR_CONTROL_TIMEOUT' });
    if (got.end === 'too-long') throw badReply(socketPath, method, `more than ${MAX_REPLY} bytes without a line end`);
    throw new TaskdaemonError(`${socketPath} closed ${got.partial ? 'in the middle of its answer to' : 'before answering'} '${method}'`, { code: 'ERR_CONTROL_CLOSED' });
  }
  const r = parseReply<T>(got.reply);
  if ('bad' in r) throw badReply(socketPath, method, r.bad);
  if ('error' in r) throw new RpcCallError(r.error.code, r.error.message);
  return r.result;
}

export async function rpcCall<T = unknown>(socketPath: string, method: string, params: object = {}, timeoutMs = 10_000): Promise<T> {
  const request = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) + '\n';
  // native/control-call.cc: the exchange in a thread of its own, or on this one
  // (blocking-waits.ts); node:net would cost every command its load.
  // A deadline past what poll(2) takes (a --timeout near the limit, plus a margin) waits as long as it can.
  const waitMs = Math.min(Math.max(Math.ceil(timeoutMs), 0), 2 ** 31 - 1);
  const n = native();
  const args = [socketPath, request, Number.isNaN(waitMs) ? 0 : waitMs, MAX_REPLY] as const;
  return settle<T>(waitsOnMainThread() ? n.controlCallSync(...args) : await n.controlCall(...args), socketPath, method, timeoutMs);
}

// What the runtime's and the supervisor's control methods share: reading a
// numeric parameter, and waiting for a reload to end as an RPC answer.
import { RPC, RpcError } from './rpc-server';

/** `params[key]`, a finite non-negative number (or `dflt` when absent); INVALID_PARAMS otherwise. */
export function numberParam(params: unknown, key: string, dflt?: number): number {
  const v = (params as { [k: string]: unknown })[key];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RpcError(RPC.INVALID_PARAMS, `'${key}' must be a non-negative number`);
  return v;
}

/** The first reload result after generation `after`, or INTERNAL_ERROR when none came within `timeoutMs`. */
export async function awaitReloadResult<T>(source: { awaitReload(after: number, timeoutMs: number): Promise<T | null> }, after: number, timeoutMs: number): Promise<T> {
  const result = await source.awaitReload(after, timeoutMs);
  if (!result) throw new RpcError(RPC.INTERNAL_ERROR, `no reload finished within ${timeoutMs} ms`);
  return result;
}
